/**
 * Storage that does not grow forever, used as the operator and a seller would: a white-studio shoot,
 * its intermediates aged past the retention, the dry run that lists them, the passes that delete
 * them, results that still download, a replay that recomputes what was collected, /metrics that
 * counts it, and a replay refused clearly once the photo itself is past its retention.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeProductPhoto, makeZip, zipNames } from '@studioflow/nodes/testing';
import { api, startTestApp, type TestApp, sql as sqlOn } from './support/test-app';

let t: TestApp;
let shoot: { id: string; results: Record<string, string>; nodes: Array<{ nodeId: string; outputs: Record<string, any> }> };

before(async () => {
  // No grace between mark and deletion, and no scheduled passes: the test runs them.
  process.env.ARTIFACT_GC_GRACE_MINUTES = '0';
  process.env.ARTIFACT_GC_INTERVAL_MINUTES = '0';
  t = await startTestApp('retention');
  const photo = await makeProductPhoto({ seed: 21, width: 800, height: 600, kind: 'mug' });
  const body = new FormData();
  body.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  body.set('templateId', 'white-studio');
  const submitted = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  shoot = await finished(`/api/shoots/${submitted.body.runId}`, t.userKey);
});
after(async () => {
  delete process.env.ARTIFACT_GC_GRACE_MINUTES;
  delete process.env.ARTIFACT_GC_INTERVAL_MINUTES;
  await t?.stop();
});

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);
const operator = () => t.config.devKeys.operator;
const stored = (hash: string) => existsSync(join(t.config.storageDir, hash.slice(0, 2), hash.slice(2, 4), hash));

async function finished(path: string, key: string): Promise<any> {
  const end = Date.now() + 120_000;
  for (;;) {
    const res = await api(t, path, { key });
    if (res.body.status === 'completed') return res.body;
    assert.ok(!['failed', 'cancelled'].includes(res.body.status), `ended ${res.body.status}: ${res.body.error}`);
    assert.ok(Date.now() < end, `still ${res.body.status} after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function age(runIds: string[], days: number): Promise<void> {
  await sql(`UPDATE runs SET created_at = now() - $2 * interval '1 day', finished_at = now() - $2 * interval '1 day' WHERE id = ANY($1::uuid[])`, [runIds, days]);
  await sql(`UPDATE artifacts SET created_at = now() - $2 * interval '1 day' WHERE run_id = ANY($1::uuid[])`, [runIds, days]);
  await sql(`UPDATE node_cache SET used_at = now() - $2 * interval '1 day' WHERE run_id = ANY($1::uuid[])`, [runIds, days]);
}

async function pass(): Promise<any> {
  const res = await api(t, '/api/admin/artifact-gc', { method: 'POST', key: operator() });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

test('only the platform operator sees or runs the collector', async () => {
  assert.equal((await api(t, '/api/admin/artifact-gc', { key: t.staffKey })).status, 403);
  assert.equal((await api(t, '/api/admin/artifact-gc', { method: 'POST', key: t.userKey })).status, 403);
});

test("the operator sets a tenant's own retention; bad values and unknown tenants are refused", async () => {
  const [{ tenant_id: tenantId }] = await sql(`SELECT tenant_id FROM runs WHERE id = $1`, [shoot.id]);
  const put = (id: string, body: unknown, key = operator()) => api(t, `/api/admin/artifact-gc/tenants/${id}`, { method: 'PUT', key, body: JSON.stringify(body) });
  assert.equal((await put(tenantId, { uploadRetentionDays: 14, deliveryRetentionDays: null }, t.staffKey)).status, 403);
  assert.equal((await put(tenantId, { uploadRetentionDays: 0, deliveryRetentionDays: null })).status, 400);
  assert.equal((await put(tenantId, { uploadRetentionDays: 14 })).status, 400, 'both fields are named (null for the default)');
  assert.equal((await put('00000000-0000-4000-8000-000000000000', { uploadRetentionDays: 14, deliveryRetentionDays: null })).status, 404);
  const set = await put(tenantId, { uploadRetentionDays: 14, deliveryRetentionDays: 365 });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.deepEqual(set.body, { tenantId, uploadRetentionDays: 14, deliveryRetentionDays: 365 });
  const reset = await put(tenantId, { uploadRetentionDays: null, deliveryRetentionDays: null });
  assert.deepEqual(reset.body, { tenantId, uploadRetentionDays: null, deliveryRetentionDays: null });
});

test('a fresh shoot has nothing to collect; aged past the intermediate retention, its intermediates go and its results stay', async () => {
  const fresh = await api(t, '/api/admin/artifact-gc', { key: operator() });
  assert.equal(fresh.status, 200);
  assert.equal(fresh.body.policy.intermediateDays, 3);
  assert.equal(fresh.body.candidates.count, 0, JSON.stringify(fresh.body));

  await age([shoot.id], 10);
  const nodes = await sql(`SELECT node_id, outputs FROM node_runs WHERE run_id = $1`, [shoot.id]);
  const hashesOf = (nodeId: string) => JSON.stringify(nodes.find((n) => n.node_id === nodeId)?.outputs ?? {}).match(/[a-f0-9]{64}/g) ?? [];
  const intermediates = [...hashesOf('input'), ...hashesOf('segment'), ...hashesOf('composite')];
  const delivered = hashesOf('deliver');
  const [upload] = (await sql(`SELECT seed_inputs FROM runs WHERE id = $1`, [shoot.id])).map((r) => JSON.stringify(r.seed_inputs).match(/[a-f0-9]{64}/)![0]);
  assert.ok(intermediates.length >= 3 && delivered.length >= 1, JSON.stringify(nodes));

  const dry = await api(t, '/api/admin/artifact-gc', { key: operator() });
  const listed = new Set(dry.body.candidates.sample.map((c: { hash: string }) => c.hash));
  for (const h of intermediates) assert.ok(listed.has(h), `the dry run lists intermediate ${h}`);
  for (const h of [...delivered, upload]) assert.ok(!listed.has(h), `the dry run keeps ${h}`);
  for (const h of intermediates) assert.ok(stored(h), 'a dry run deletes nothing');

  const first = await pass();
  assert.equal(first.deleted, 0, 'a pass marks; the next one deletes');
  const second = await pass();
  assert.ok(second.deleted >= new Set(intermediates).size, JSON.stringify(second));
  assert.ok(second.bytesFreed > 0);
  for (const h of intermediates) assert.equal(stored(h), false, `intermediate ${h} deleted`);
  for (const h of [...delivered, upload]) assert.ok(stored(h), `${h} kept`);
  const jpeg = await fetch(`${t.baseUrl}${shoot.results.jpeg.split('?')[0]}`, { headers: { Authorization: `Bearer ${t.staffKey}` } });
  assert.equal(jpeg.status, 200, 'the delivered image still downloads');

  const metrics = await api(t, '/metrics', { key: operator() });
  const deleted = Number(/^studioflow_artifact_gc_deleted (\d+)/m.exec(metrics.body)?.[1]);
  assert.ok(deleted >= new Set(intermediates).size, 'deletions are counted in /metrics');
  assert.match(metrics.body, /^studioflow_artifact_bytes\{state="stored"\} [1-9]/m);
});

test('a replay of the collected shoot recomputes its intermediates; past the photo retention it answers 410', async () => {
  const replay = await api(t, `/api/runs/${shoot.id}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'composite' }) });
  assert.equal(replay.status, 202, JSON.stringify(replay.body));
  const replayed = await finished(`/api/runs/${replay.body.runId}`, t.staffKey);
  const input = replayed.nodes.find((n: { nodeId: string }) => n.nodeId === 'input');
  assert.ok(input.outputs.image?.hash && stored(input.outputs.image.hash), 'the input node ran again and stored its image');

  await age([shoot.id, replay.body.runId], 40);
  await sql(`UPDATE uploads SET created_at = now() - interval '40 days'`);
  await pass();
  await pass();
  const refused = await api(t, `/api/runs/${shoot.id}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'composite' }) });
  assert.equal(refused.status, 410, JSON.stringify(refused.body));
  assert.match(refused.body.message, /photo it started from was deleted/);
});

test("a batch's results.zip holds what is kept, and answers 410 once every image is past the delivery retention", async () => {
  const photo = await makeProductPhoto({ seed: 22, width: 640, height: 480, kind: 'box', format: 'png' });
  const form = new FormData();
  form.set('archive', new Blob([new Uint8Array(makeZip([{ name: 'box.png', data: photo.jpeg }]))], { type: 'application/zip' }), 'catalog.zip');
  form.set('templateId', 'white-studio');
  const created = await api(t, '/api/v1/batches', { method: 'POST', key: t.userKey, body: form });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const end = Date.now() + 180_000;
  let batch: any;
  for (;;) {
    batch = (await api(t, `/api/v1/batches/${id}`, { key: t.userKey })).body;
    if (batch.progress?.completed === 1) break;
    assert.ok(!batch.progress?.failed, JSON.stringify(batch));
    assert.ok(Date.now() < end, `batch not done: ${JSON.stringify(batch.progress)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const zip = () => fetch(`${t.baseUrl}/api/v1/batches/${id}/results.zip`, { headers: { Authorization: `Bearer ${t.userKey}` } });
  const kept = await zip();
  assert.equal(kept.status, 200);
  assert.ok(zipNames(Buffer.from(await kept.arrayBuffer())).length >= 1);

  await age([batch.items[0].shootId], 100);
  await sql(`UPDATE batches SET created_at = now() - interval '100 days' WHERE id = $1`, [id]);
  await pass();
  await pass();
  const gone = await zip();
  assert.equal(gone.status, 410);
  assert.match(((await gone.json()) as { message: string }).message, /deleted after the delivery retention/);
});
