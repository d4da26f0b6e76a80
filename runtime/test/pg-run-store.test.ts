import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { compilePlan } from '../src/scheduler';
import { PgRunStore, type NewRun } from '../src/store';
import { diamond, testCatalog } from './support/test-nodes';

let db: ScratchDatabase;
let pool: Pool;
let store: PgRunStore;
let tenantId: string;
let versionId: string;
const cachedCatalog = testCatalog(undefined, 0, true).descriptors;
const plainCatalog = testCatalog().descriptors;

before(async () => {
  db = await createScratchDatabase('store');
  pool = db.pool(6);
  store = new PgRunStore(pool);
  tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 100) RETURNING id`)).rows[0].id;
  const g = (await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId])).rows[0].id;
  versionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [g, tenantId])).rows[0].id;
});
after(async () => db.drop());

function run(catalog = plainCatalog, price = 3, value = 1): NewRun {
  const doc = structuredClone(diamond);
  (doc.nodes[0] as { params: { value: number } }).params.value = value;
  const runId = randomUUID();
  return { runId, tenantId, kind: 'test', graphVersionId: versionId, plan: compilePlan(doc, catalog), info: { runId, tenantId }, seedInputs: {}, priceCredits: price };
}

const out = (v: number) => ({ out: { value: v, path: [] } });
const balance = async () => (await pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId])).rows[0].credit_balance as number;

/** Drives a run to completion by answering every job with a fixed output. */
async function complete(r: NewRun, jobs: Array<{ data: { nodeId: string; generation: number; runId: string } }>): Promise<void> {
  let pending = jobs.filter((j) => j.data.runId === r.runId);
  while (pending.length) {
    const res = await store.applyEvents(
      pending.map((j) => ({ runId: r.runId, event: { kind: 'node_succeeded' as const, nodeId: j.data.nodeId, generation: j.data.generation, outputs: out(1) } })),
    );
    pending = res.jobs;
  }
}

test('two workers racing to report failures refund a run exactly once', async () => {
  const r = run();
  const before = await balance();
  const started = await store.createRuns([r]);
  assert.equal(before - (await balance()), 3);
  const a = started.jobs[0].data;
  const next = await store.applyEvents([{ runId: r.runId, event: { kind: 'node_succeeded', nodeId: 'A', generation: a.generation, outputs: out(1) } }]);
  const [b, c] = next.jobs.map((j) => j.data);
  await Promise.all([
    store.applyEvents([{ runId: r.runId, event: { kind: 'node_failed', nodeId: b.nodeId, generation: b.generation, error: 'x' } }]),
    store.applyEvents([{ runId: r.runId, event: { kind: 'node_failed', nodeId: c.nodeId, generation: c.generation, error: 'y' } }]),
    store.applyEvents([{ runId: r.runId, event: { kind: 'cancel', reason: 'user' } }]),
  ]);
  const refunds = await pool.query(`SELECT amount FROM credit_ledger WHERE run_id = $1 AND kind = 'refund'`, [r.runId]);
  assert.deepEqual(refunds.rows.map((x) => x.amount), [3]);
  assert.equal(await balance(), before, 'balance restored once');
  const dead = await pool.query(`SELECT count(*)::int AS n FROM dead_letters WHERE run_id = $1`, [r.runId]);
  assert.equal(dead.rows[0].n, 1, 'one dead letter: the failure that ended the run');
});

test('a run with nothing new is served from the execution cache without a single job', async () => {
  const first = run(cachedCatalog, 0, 41);
  await complete(first, (await store.createRuns([first])).jobs);
  const second = run(cachedCatalog, 0, 41);
  const res = await store.createRuns([second]);
  assert.deepEqual(res.jobs, [], 'no jobs: every node was a cache hit');
  const states = await pool.query(`SELECT DISTINCT state FROM node_runs WHERE run_id = $1`, [second.runId]);
  assert.deepEqual(states.rows.map((x) => x.state), ['cached']);
  assert.equal((await pool.query(`SELECT status FROM runs WHERE id = $1`, [second.runId])).rows[0].status, 'completed');
  const third = run(cachedCatalog, 0, 42);
  assert.equal((await store.createRuns([third])).jobs.length, 1, 'a changed param misses the cache');
});

test('replay from a middle node reuses upstream outputs and re-runs the rest with new params', async () => {
  const original = run();
  await complete(original, (await store.createRuns([original])).jobs);
  const replayId = randomUUID();
  const res = await store.replay(original.runId, 'B', { fail: false }, replayId, { kind: 'test', priceCredits: 0 });
  assert.deepEqual(res.jobs.map((j) => j.data.nodeId), ['B']);
  const rows = await pool.query(`SELECT node_id, state, source_run_id FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [replayId]);
  assert.deepEqual(rows.rows.map((x) => [x.node_id, x.state, x.source_run_id]), [
    ['A', 'cached', original.runId],
    ['B', 'queued', null],
    ['C', 'cached', original.runId],
    ['D', 'pending', null],
  ]);
  const link = await pool.query(`SELECT parent_run_id, replay_from FROM runs WHERE id = $1`, [replayId]);
  assert.deepEqual(link.rows[0], { parent_run_id: original.runId, replay_from: 'B' });
});

test('re-drive charges a new billing round; its failure refunds that round once', async () => {
  const r = run();
  const start = await balance();
  const a = (await store.createRuns([r])).jobs[0].data;
  await store.applyEvents([{ runId: r.runId, event: { kind: 'node_failed', nodeId: 'A', generation: a.generation, error: 'boom' } }]);
  assert.equal(await balance(), start);
  const redriven = await store.applyEvents([{ runId: r.runId, event: { kind: 'redrive', reason: 'staff' } }]);
  assert.equal(start - (await balance()), 3, 'charged again');
  const again = redriven.jobs[0].data;
  assert.equal(again.nodeId, 'A');
  await store.applyEvents([{ runId: r.runId, event: { kind: 'node_failed', nodeId: 'A', generation: again.generation, error: 'boom again' } }]);
  assert.equal(await balance(), start, 'refunded again');
  const keys = await pool.query(`SELECT idempotency_key FROM credit_ledger WHERE run_id = $1 ORDER BY id`, [r.runId]);
  assert.deepEqual(keys.rows.map((k) => k.idempotency_key), [`charge:${r.runId}`, `refund:${r.runId}`, `charge:${r.runId}:r1`, `refund:${r.runId}:r1`]);
});

test('a submit without enough credits is refused and leaves nothing behind', async () => {
  const r = run(plainCatalog, 1_000_000);
  await assert.rejects(store.createRuns([r]), /not enough credits/);
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = $1`, [r.runId])).rows[0].n, 0);
});

test('a transaction whose backend is terminated (57P01) before COMMIT is retried and applied once', async () => {
  const r = run();
  const started = await store.createRuns([r]);
  const a = started.jobs[0].data;
  // Hold the run's row lock so the store's transaction waits inside PostgreSQL, where we can kill it.
  const blocker = await pool.connect();
  await blocker.query('BEGIN');
  await blocker.query(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE`, [r.runId]);
  const blockerPid = (await blocker.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid;
  const waiting = async () =>
    (await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`, [blockerPid])).rows;
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const end = Date.now() + 30_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  try {
    const applied = store.applyEvents([{ runId: r.runId, event: { kind: 'node_succeeded', nodeId: 'A', generation: a.generation, outputs: out(1) } }]);
    let victim = 0;
    await until('the transaction to wait for the lock', async () => ((victim = (await waiting())[0]?.pid ?? 0) > 0));
    await pool.query(`SELECT pg_terminate_backend($1)`, [victim]);
    await until('the retried transaction to wait again', async () => (await waiting()).some((w) => w.pid !== victim));
    await blocker.query('COMMIT');
    const result = await applied;
    assert.deepEqual(result.jobs.map((j) => j.data.nodeId).sort(), ['B', 'C'], 'the retry dispatched what A unblocked');
    const nodes = await pool.query(`SELECT node_id, state FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [r.runId]);
    assert.deepEqual(nodes.rows.map((n) => `${n.node_id}:${n.state}`), ['A:done', 'B:queued', 'C:queued', 'D:pending']);
  } finally {
    blocker.release();
  }
});
