/**
 * Iterating without committing (issue 14), as staff would from the editor: run the canvas as it is
 * (a draft run, recorded with its document's hash, never a version), replay it, pin a test photo so
 * a run needs no upload, run only up to one node, and see what a past run ran with.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, sql as sqlOn, startTestApp, type TestApp } from './support/test-app';

let t: TestApp;
let graphId = '';
let otherStaffKey = '';

const studio = (fill: number) => ({
  nodes: [
    { id: 'input', type: 'input-image', position: { x: 0, y: 0 } },
    { id: 'segment', type: 'segment', position: { x: 250, y: 0 } },
    { id: 'composite', type: 'studio-composite', params: { fill }, position: { x: 500, y: 0 } },
    { id: 'deliver', type: 'deliver', position: { x: 750, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
    { id: 'e2', source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
    { id: 'e3', source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
  ],
});

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);
const photo = async (seed: number) => (await makeProductPhoto({ seed, width: 640, height: 480 })).jpeg;
const stored = (hash: string) => existsSync(join(t.config.storageDir, hash.slice(0, 2), hash.slice(2, 4), hash));

function form(image: Buffer | null, fields: Record<string, string>): FormData {
  const f = new FormData();
  if (image) f.set('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function ended(id: string, timeoutMs = 240_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, `/api/runs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(res.body.status)) return res.body;
    assert.ok(Date.now() < end, `run ${id} still ${res.body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const versions = async () => (await api(t, `/api/graphs/${graphId}`)).body.versions as unknown[];
const history = async () => (await api(t, `/api/graphs/${graphId}/runs`)).body as Array<Record<string, any>>;
const balance = async () => (await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance as number;

before(async () => {
  t = await startTestApp('draftruns');
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'draft studio', draft: studio(0.85) }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  graphId = created.body.id;
  const [b] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Other shop', 100) RETURNING id`);
  const [u] = await sql(`INSERT INTO users (tenant_id, email, role) VALUES ($1, 'staff@other.test', 'staff') RETURNING id`, [b.id]);
  otherStaffKey = 'sf_test_other_staff_draft';
  await sql(`INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [u.id, b.id, createHash('sha256').update(otherStaffKey).digest('hex')]);
});
after(async () => {
  await t?.stop();
});

let draftRunId = '';

test('a draft run executes the canvas as sent, records its document and hash, is free, and creates no version', async () => {
  const before = await balance();
  const doc = studio(0.6);
  const res = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: form(await photo(31), { graph: JSON.stringify(doc) }) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.match(res.body.draftHash, /^[0-9a-f]{64}$/);
  draftRunId = res.body.runId;
  const run = await ended(draftRunId);
  assert.equal(run.status, 'completed', run.error);
  assert.equal(run.graphVersionId, null);
  assert.deepEqual(run.graph, { graphId, version: null, draft: true, draftHash: res.body.draftHash, untilNodeId: null });
  assert.equal(run.nodeParams.composite.fill, 0.6, 'the run ran the canvas it was sent, not the saved draft (0.85)');
  assert.ok(run.results.jpeg, 'the sink delivered');
  assert.deepEqual(await versions(), [], 'no version was committed');
  assert.equal(await balance(), before, 'a draft run charges nothing');
  const [snap] = await sql(`SELECT d.doc, rtrim(d.hash) AS hash FROM runs r JOIN draft_snapshots d ON d.id = r.draft_snapshot_id WHERE r.id = $1`, [draftRunId]);
  assert.deepEqual(snap.doc, doc, 'the exact document is recorded');
  assert.equal(snap.hash, res.body.draftHash);
});

test('the same canvas again, keys in another order, is recorded once (same hash); the graph history marks draft runs with their hash', async () => {
  const reordered = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(reordered) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)])) : value;
  const res = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: form(await photo(31), { graph: JSON.stringify(reordered(studio(0.6))) }) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await ended(res.body.runId);
  const first = (await api(t, `/api/runs/${draftRunId}`)).body.graph.draftHash;
  assert.equal(res.body.draftHash, first);
  const [{ n }] = await sql(`SELECT count(*)::int AS n FROM draft_snapshots WHERE graph_id = $1`, [graphId]);
  assert.equal(n, 1);
  const rows = await history();
  const row = rows.find((r) => r.id === draftRunId);
  assert.ok(row, 'the draft run is in the graph history');
  assert.equal(row.draft, true);
  assert.equal(row.draftHash, first);
  assert.equal(row.version, null);
});

test('a draft run can be replayed; the replay stays a draft run of the same document', async () => {
  const replay = await api(t, `/api/runs/${draftRunId}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'composite', params: { fill: 0.7 } }) });
  assert.equal(replay.status, 202, JSON.stringify(replay.body));
  const run = await ended(replay.body.runId);
  assert.equal(run.status, 'completed', run.error);
  assert.equal(run.graph.draft, true);
  assert.equal(run.nodeParams.composite.fill, 0.7, 'the replay ran with its new param');
  const reused = run.nodes.find((n: { nodeId: string }) => n.nodeId === 'segment');
  assert.equal(reused.sourceRunId, draftRunId, 'upstream outputs were reused from the draft run');
  const row = (await history()).find((r) => r.id === replay.body.runId);
  assert.equal(row?.draft, true);
  assert.equal(row?.parentRunId, draftRunId);
  assert.deepEqual(await versions(), []);
});

test('an invalid canvas is refused like a commit (422 with the problems); a malformed body is 400; nothing starts', async () => {
  const runsBefore = (await history()).length;
  const broken = studio(0.6);
  broken.edges.pop();
  broken.nodes.push({ id: 'mystery', type: 'no-such-node', position: { x: 0, y: 0 } });
  const res = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: form(await photo(31), { graph: JSON.stringify(broken) }) });
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.ok(res.body.problems.some((p: { nodeId?: string }) => p.nodeId === 'mystery'), JSON.stringify(res.body.problems));
  const outOfRange = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: form(await photo(31), { graph: JSON.stringify(studio(7)) }) });
  assert.equal(outOfRange.status, 422, JSON.stringify(outOfRange.body));
  assert.ok(outOfRange.body.problems.some((p: { nodeId?: string }) => p.nodeId === 'composite'));
  const notJson = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: form(await photo(31), { graph: '{nodes' }) });
  assert.equal(notJson.status, 400, JSON.stringify(notJson.body));
  const noGraph = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: JSON.stringify({ untilNodeId: 'segment' }) });
  assert.equal(noGraph.status, 400, JSON.stringify(noGraph.body));
  const noPhoto = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: JSON.stringify({ graph: studio(0.6) }) });
  assert.equal(noPhoto.status, 400, 'no photo sent and none pinned');
  assert.match(noPhoto.body.message, /pin a test photo/);
  assert.equal((await history()).length, runsBefore, 'no run was created');
});

test("another tenant's graph answers 404 for draft runs, the pinned photo, and its history", async () => {
  const key = otherStaffKey;
  assert.equal((await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', key, body: form(await photo(31), { graph: JSON.stringify(studio(0.6)) }) })).status, 404);
  assert.equal((await api(t, `/api/graphs/${graphId}/test-photo`, { method: 'PUT', key, body: form(await photo(32), {}) })).status, 404);
  assert.equal((await api(t, `/api/graphs/${graphId}/test-photo`, { method: 'DELETE', key })).status, 404);
  assert.equal((await api(t, `/api/graphs/${graphId}/runs`, { key })).status, 404);
  assert.equal((await api(t, `/api/runs/${draftRunId}`, { key })).status, 404);
  assert.equal((await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', key: t.userKey, body: JSON.stringify({ graph: studio(0.6) }) })).status, 403, 'sellers may not');
});

test('run to here executes only the node and its ancestors, on the pinned photo, for draft and version runs', async () => {
  const pinned = await api(t, `/api/graphs/${graphId}/test-photo`, { method: 'PUT', body: form(await photo(33), {}) });
  assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
  const graph = (await api(t, `/api/graphs/${graphId}`)).body;
  assert.equal(graph.testPhoto.uploadId, pinned.body.uploadId, 'GET graph shows the pinned photo');
  assert.match(graph.testPhoto.url, /\/api\/artifacts\/[0-9a-f]{64}\?/);

  const res = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: JSON.stringify({ graph: studio(0.6), untilNodeId: 'segment' }) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const run = await ended(res.body.runId);
  assert.equal(run.status, 'completed', run.error);
  assert.deepEqual(run.nodes.map((n: { nodeId: string }) => n.nodeId), ['input', 'segment'], 'composite and deliver are not part of the run');
  assert.equal(run.graph.untilNodeId, 'segment');
  assert.equal((await history()).find((r) => r.id === res.body.runId)?.untilNodeId, 'segment', 'the history says where it stopped');
  assert.ok(run.nodes.every((n: { state: string }) => n.state === 'done' || n.state === 'cached'));
  const [{ seed }] = await sql(`SELECT seed_inputs->'input'->'upload'->>'hash' AS seed FROM runs WHERE id = $1`, [res.body.runId]);
  const [{ hash }] = await sql(`SELECT hash FROM uploads WHERE id = $1`, [pinned.body.uploadId]);
  assert.equal(seed, hash, 'the run used the pinned photo');

  const bad = await api(t, `/api/graphs/${graphId}/draft-runs`, { method: 'POST', body: JSON.stringify({ graph: studio(0.6), untilNodeId: 'nowhere' }) });
  assert.equal(bad.status, 422, JSON.stringify(bad.body));

  const commit = await api(t, `/api/graphs/${graphId}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(commit.status, 201);
  const versionRun = await api(t, '/api/runs', { method: 'POST', body: form(await photo(34), { graphVersionId: commit.body.id, untilNodeId: 'composite' }) });
  assert.equal(versionRun.status, 202, JSON.stringify(versionRun.body));
  const v = await ended(versionRun.body.runId);
  assert.equal(v.status, 'completed', v.error);
  assert.deepEqual(v.nodes.map((n: { nodeId: string }) => n.nodeId), ['input', 'segment', 'composite']);
  assert.deepEqual(v.graph, { graphId, version: 1, draft: false, draftHash: null, untilNodeId: 'composite' });
  assert.equal(v.nodeParams.composite.fill, 0.85, 'a version run shows the committed params');
  assert.deepEqual(Object.keys(v.nodeParams).sort(), ['composite', 'input', 'segment']);

  // A version run sent no photo uses the pinned one too.
  const onPinned = await api(t, '/api/runs', { method: 'POST', body: JSON.stringify({ graphVersionId: commit.body.id, untilNodeId: 'segment' }) });
  assert.equal(onPinned.status, 202, JSON.stringify(onPinned.body));
  assert.equal((await ended(onPinned.body.runId)).status, 'completed');
  const [pinnedSeed] = await sql(`SELECT seed_inputs->'input'->'upload'->>'hash' AS seed FROM runs WHERE id = $1`, [onPinned.body.runId]);
  assert.equal(pinnedSeed.seed, hash, 'the version run used the pinned photo');
});

test('the pinned photo stays live for the storage collector however old; unpinned, it becomes a candidate', async () => {
  const pinned = await api(t, `/api/graphs/${graphId}/test-photo`, { method: 'PUT', body: form(await photo(35), {}) });
  assert.equal(pinned.status, 200, JSON.stringify(pinned.body));
  const [{ hash }] = await sql(`SELECT hash FROM uploads WHERE id = $1`, [pinned.body.uploadId]);
  // Far past the upload retention (30 days) and the grace period.
  await sql(`UPDATE uploads SET created_at = now() - interval '400 days' WHERE id = $1`, [pinned.body.uploadId]);
  const operator = t.config.devKeys.operator;
  const candidates = async () => ((await api(t, '/api/admin/artifact-gc', { key: operator })).body.candidates.sample as Array<{ hash: string }>).map((c) => c.hash);
  assert.ok(!(await candidates()).includes(hash), 'a pinned photo is not a candidate');
  const pass = await api(t, '/api/admin/artifact-gc', { method: 'POST', key: operator });
  assert.ok([200, 201].includes(pass.status), JSON.stringify(pass.body));
  assert.ok(stored(hash), 'a pass keeps the pinned photo');
  assert.equal((await api(t, `/api/graphs/${graphId}`)).body.testPhoto?.uploadId, pinned.body.uploadId);

  assert.equal((await api(t, `/api/graphs/${graphId}/test-photo`, { method: 'DELETE' })).status, 204);
  assert.equal((await api(t, `/api/graphs/${graphId}`)).body.testPhoto, null);
  assert.ok((await candidates()).includes(hash), 'unpinned and past its retention, the photo is a candidate for deletion');
});
