import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import sharp from 'sharp';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, startTestApp, type TestApp } from './support/test-app';

let t: TestApp;
let pool: Pool;
let versionId = '';
const reviewerKey = 'sf_reviewer_dev';

before(async () => {
  t = await startTestApp('runtimeapi');
  pool = new Pool({ connectionString: t.config.databaseUrl, max: 2 });
  const created = await api(t, '/api/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'reviewed studio',
      draft: {
        nodes: [
          { id: 'input', type: 'input-image' },
          { id: 'segment', type: 'segment' },
          { id: 'composite', type: 'studio-composite', params: { fill: 0.85 } },
          { id: 'review', type: 'human-review' },
          { id: 'deliver', type: 'deliver' },
        ],
        edges: [
          { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
          { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
          { source: 'composite', sourceHandle: 'image', target: 'review', targetHandle: 'image' },
          { source: 'review', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
        ],
      },
    }),
  });
  const v = await api(t, `/api/graphs/${created.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'with review' }) });
  assert.equal(v.status, 201, JSON.stringify(v.body));
  versionId = v.body.id;
  const published = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: versionId, slug: 'reviewed-studio', name: 'Reviewed studio', priceCredits: 2, exposedParams: [] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
});
after(async () => {
  await pool?.end();
  await t?.stop();
});

function form(image: Buffer, fields: Record<string, string>): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function until(id: string, statuses: string[], key = t.staffKey, timeoutMs = 240_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, `/api/shoots/${id}`, { key });
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${id} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const balance = async () => (await pool.query(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`)).rows[0].credit_balance as number;
const photo = async (seed: number) => (await makeProductPhoto({ seed, width: 800, height: 600 })).jpeg;

test('human review parks the run; a retry re-runs an upstream node with new params; approve delivers', async () => {
  const res = await api(t, '/api/runs', { method: 'POST', body: form(await photo(21), { graphVersionId: versionId }) });
  assert.equal(res.status, 202);
  const id = res.body.runId;
  const parked = await until(id, ['awaiting_review']);
  assert.equal(parked.nodes.find((n: { nodeId: string }) => n.nodeId === 'review').state, 'awaiting_review');
  assert.equal(parked.nodes.find((n: { nodeId: string }) => n.nodeId === 'deliver').state, 'pending');
  const queue = await api(t, '/api/reviews', { key: reviewerKey });
  assert.ok(queue.body.some((r: { runId: string }) => r.runId === id));
  const forbidden = await api(t, `/api/reviews/${id}/review`, { method: 'POST', key: 'sf_user_dev', body: JSON.stringify({ decision: 'approve' }) });
  assert.equal(forbidden.status, 403, 'an end user cannot review');

  const retry = await api(t, `/api/reviews/${id}/review`, {
    method: 'POST',
    key: reviewerKey,
    body: JSON.stringify({ decision: 'retry', rerunFrom: 'composite', params: { fill: 0.6 }, note: 'product too big' }),
  });
  assert.equal(retry.status, 201, JSON.stringify(retry.body));
  const again = await until(id, ['awaiting_review']);
  const composite = (await pool.query(`SELECT generation, params_override FROM node_runs WHERE run_id = $1 AND node_id = 'composite'`, [id])).rows[0];
  assert.deepEqual(composite.params_override, { fill: 0.6 });
  assert.equal(composite.generation, 3, 'dispatched, reset, dispatched again');
  assert.equal(again.nodes.find((n: { nodeId: string }) => n.nodeId === 'segment').state, 'done', 'upstream was not re-run');

  const approve = await api(t, `/api/reviews/${id}/review`, { method: 'POST', key: reviewerKey, body: JSON.stringify({ decision: 'approve' }) });
  assert.equal(approve.status, 201);
  const done = await until(id, ['completed']);
  const jpeg = Buffer.from(await (await fetch(`${t.baseUrl}${done.results.jpeg}`)).arrayBuffer());
  const { info } = await sharp(jpeg).trim({ background: '#ffffff', threshold: 30 }).toBuffer({ resolveWithObject: true });
  assert.ok(Math.max(info.width, info.height) < 2048 * 0.75, `the retried composite used fill 0.6 (product ${info.width}×${info.height})`);
  const twice = await api(t, `/api/reviews/${id}/review`, { method: 'POST', key: reviewerKey, body: JSON.stringify({ decision: 'approve' }) });
  assert.equal(twice.status, 409, 'a decided review cannot be decided again');
});

test("a reviewer's retry gets the same param check as a replay: out-of-range or unknown params are refused, nothing changes", async () => {
  const res = await api(t, '/api/runs', { method: 'POST', body: form(await photo(23), { graphVersionId: versionId }) });
  assert.equal(res.status, 202);
  const id = res.body.runId;
  await until(id, ['awaiting_review']);
  const decide = (body: unknown) => api(t, `/api/reviews/${id}/review`, { method: 'POST', key: reviewerKey, body: JSON.stringify(body) });
  const tooSmall = await decide({ decision: 'retry', rerunFrom: 'composite', params: { fill: 0.1 } });
  assert.equal(tooSmall.status, 422, JSON.stringify(tooSmall.body));
  assert.match(JSON.stringify(tooSmall.body.problems), /fill/);
  const unknown = await decide({ decision: 'retry', rerunFrom: 'composite', params: { bogus: 1 } });
  assert.equal(unknown.status, 422, 'unknown params are not stored');
  // The default rerunFrom is the review's upstream node (composite): checked against its schema too.
  const byDefault = await decide({ decision: 'retry', params: { fill: 2 } });
  assert.equal(byDefault.status, 422);
  const composite = (await pool.query(`SELECT generation, params_override FROM node_runs WHERE run_id = $1 AND node_id = 'composite'`, [id])).rows[0];
  assert.equal(composite.params_override, null, 'no override was stored');
  assert.equal(composite.generation, 1, 'composite was not re-run');
  assert.equal((await decide({ decision: 'reject', note: 'done testing' })).status, 201, 'the review is still open');
});

test('a reviewer rejection fails the shoot and refunds its credits', async () => {
  const start = await balance();
  const res = await api(t, '/api/shoots', { method: 'POST', key: 'sf_user_dev', body: form(await photo(22), { templateId: 'reviewed-studio' }) });
  assert.equal(res.status, 202);
  await until(res.body.runId, ['awaiting_review'], 'sf_user_dev');
  assert.equal(start - (await balance()), 2);
  const reject = await api(t, `/api/reviews/${res.body.runId}/review`, { method: 'POST', key: reviewerKey, body: JSON.stringify({ decision: 'reject', note: 'label is blurred' }) });
  assert.equal(reject.status, 201);
  const failed = await until(res.body.runId, ['failed'], 'sf_user_dev');
  assert.match(failed.error, /rejected by reviewer: label is blurred/);
  assert.equal(await balance(), start, 'refunded');
});

test('a failing node lands in the dead-letter list; re-drive resumes it, discard closes it', async () => {
  const blank = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#f4f4f4' } }).jpeg().toBuffer();
  const res = await api(t, '/api/runs', { method: 'POST', body: form(blank, { graphVersionId: versionId }) });
  const failed = await until(res.body.runId, ['failed']);
  assert.match(failed.error, /segment/);
  let letters = await api(t, '/api/dead-letters');
  const letter = letters.body.find((l: { runId: string }) => l.runId === res.body.runId);
  assert.ok(letter, 'listed');
  assert.equal(letter.nodeId, 'segment');
  const redrive = await api(t, `/api/dead-letters/${letter.id}/redrive`, { method: 'POST' });
  assert.equal(redrive.status, 202, JSON.stringify(redrive.body));
  await until(res.body.runId, ['failed']); // the same blank photo fails again: a new dead letter
  letters = await api(t, '/api/dead-letters');
  const second = letters.body.filter((l: { runId: string }) => l.runId === res.body.runId);
  assert.equal(second.length, 1, 'the re-driven letter is closed, the new failure is open');
  const generation = (await pool.query(`SELECT generation FROM node_runs WHERE run_id = $1 AND node_id = 'segment'`, [res.body.runId])).rows[0].generation;
  assert.equal(generation, 3, 'segment ran again');
  assert.equal((await api(t, `/api/dead-letters/${second[0].id}/discard`, { method: 'POST' })).status, 200);
  assert.equal((await api(t, `/api/dead-letters/${second[0].id}/discard`, { method: 'POST' })).status, 409);
});

test('replay from a middle node reuses upstream artifacts and applies new params', async () => {
  const graph = await api(t, '/api/templates/white-studio');
  const res = await api(t, '/api/runs', { method: 'POST', body: form(await photo(23), { graphVersionId: graph.body.graphVersionId }) });
  const original = await until(res.body.runId, ['completed']);
  const replay = await api(t, `/api/runs/${original.id}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'composite', params: { background: 'solid', color: '#dde7f0' } }) });
  assert.equal(replay.status, 202, JSON.stringify(replay.body));
  const done = await until(replay.body.runId, ['completed']);
  assert.equal(done.parentRunId, original.id);
  const byId = Object.fromEntries(done.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
  assert.equal(byId.segment.state, 'cached');
  assert.equal(byId.segment.sourceRunId, original.id);
  assert.deepEqual(byId.segment.outputs, original.nodes.find((n: { nodeId: string }) => n.nodeId === 'segment').outputs, 'the same artifacts');
  assert.equal(byId.composite.state, 'done');
  assert.notEqual(done.results.jpeg, original.results.jpeg);
  const bad = await api(t, `/api/runs/${original.id}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'composite', params: { fill: 7 } }) });
  assert.equal(bad.status, 422);
});

test('cancel stops a shoot and refunds it once', async () => {
  const start = await balance();
  const res = await api(t, '/api/shoots', { method: 'POST', key: 'sf_user_dev', body: form(await photo(24), { templateId: 'reviewed-studio' }) });
  const cancel = await api(t, `/api/shoots/${res.body.runId}/cancel`, { method: 'POST', key: 'sf_user_dev' });
  assert.equal(cancel.status, 202);
  const done = await until(res.body.runId, ['cancelled'], 'sf_user_dev');
  assert.equal(done.status, 'cancelled');
  assert.equal(await balance(), start);
  await api(t, `/api/shoots/${res.body.runId}/cancel`, { method: 'POST', key: 'sf_user_dev' });
  const refunds = await pool.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE run_id = $1 AND kind = 'refund'`, [res.body.runId]);
  assert.equal(refunds.rows[0].n, 1);
});

test('observability: Prometheus metrics and Bull Board for the platform operator only', async () => {
  const operator = t.config.devKeys.operator;
  const metrics = await (await fetch(`${t.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${operator}` } })).text();
  for (const name of ['studioflow_queue_jobs', 'studioflow_node_runs', 'studioflow_credits', 'studioflow_cache_hit_ratio', 'studioflow_node_duration_seconds']) {
    assert.match(metrics, new RegExp(`^# HELP ${name}`, 'm'));
  }
  assert.match(metrics, /studioflow_runs\{status="completed"\} \d+/);
  assert.equal((await fetch(`${t.baseUrl}/metrics`)).status, 401);
  assert.equal((await fetch(`${t.baseUrl}/admin/queues`)).status, 401);
  assert.equal((await fetch(`${t.baseUrl}/admin/queues?key=sf_user_dev`)).status, 403);
  assert.equal((await fetch(`${t.baseUrl}/admin/queues?key=${t.staffKey}`)).status, 403, "tenant staff cannot see the shared queues");
  const board = await fetch(`${t.baseUrl}/admin/queues?key=${operator}`);
  assert.equal(board.status, 200);
  assert.match(await board.text(), /bull/i);
});
