import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { Type } from '@sinclair/typebox';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '../src/artifacts';
import { defineNode, NodeCatalog, type NodeCost } from '../src/contract';
import { runGraphLocally } from '../src/local';
import { compilePlan } from '../src/scheduler';
import { PgRunStore, type NewRun, type RunNotice } from '../src/store';
import { CostMeter, costRatesFromEnv } from '../src/worker';
import { diamond, testCatalog } from './support/test-nodes';

let db: ScratchDatabase;
let pool: Pool;
let store: PgRunStore;
let tenantId: string;
let versionId: string;

before(async () => {
  db = await createScratchDatabase('costs');
  pool = db.pool(4);
  store = new PgRunStore(pool);
  tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 100) RETURNING id`)).rows[0].id;
  const g = (await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId])).rows[0].id;
  versionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [g, tenantId])).rows[0].id;
});
after(async () => db.drop());

function run(cacheable: boolean, value: number): NewRun {
  const doc = structuredClone(diamond);
  (doc.nodes[0] as { params: { value: number } }).params.value = value;
  const runId = randomUUID();
  const plan = compilePlan(doc, testCatalog(undefined, 0, cacheable).descriptors);
  return { runId, tenantId, kind: 'test', graphVersionId: versionId, plan, info: { runId, tenantId }, seedInputs: {}, priceCredits: 0 };
}

const cloud = (usd: number): NodeCost => ({ usd, parts: [{ kind: 'cloud', usd, model: 'test/model', detail: 'one image' }] });
const out = { out: { value: 1, path: [] } };

/** Completes every job with a cost of $0.25, sending each completion twice (a retried batch); returns all notices. */
async function completeTwice(r: NewRun): Promise<RunNotice[]> {
  const notices: RunNotice[] = [];
  let pending = (await store.createRuns([r])).jobs;
  while (pending.length) {
    const items = pending.map((j) => ({ runId: r.runId, event: { kind: 'node_succeeded' as const, nodeId: j.data.nodeId, generation: j.data.generation, outputs: out }, cost: cloud(0.25) }));
    const res = await store.applyEvents(items);
    const again = await store.applyEvents(items);
    notices.push(...res.notices, ...again.notices);
    pending = res.jobs;
  }
  return notices;
}

test('each node run stores its cost and parts, the run its total, and a repeated completion counts once', async () => {
  const r = run(false, 7);
  const notices = await completeTwice(r);
  const nodes = await pool.query(`SELECT node_id, cost_usd, cost_parts FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [r.runId]);
  assert.deepEqual(nodes.rows.map((n) => [n.node_id, Number(n.cost_usd)]), [['A', 0.25], ['B', 0.25], ['C', 0.25], ['D', 0.25]]);
  assert.deepEqual(nodes.rows[0].cost_parts, [{ kind: 'cloud', usd: 0.25, model: 'test/model', detail: 'one image' }]);
  const total = (await pool.query(`SELECT cost_usd FROM runs WHERE id = $1`, [r.runId])).rows[0].cost_usd;
  assert.equal(Number(total), 1, 'four nodes at $0.25, each counted once although every completion came twice');
  const completedNodes = notices.filter((n) => n.type === 'node.completed');
  assert.equal(completedNodes.length, 4, 'the repeated completions announced nothing');
  for (const n of completedNodes) assert.equal((n as { costUsd?: number }).costUsd, 0.25);
  const runCompleted = notices.find((n) => n.type === 'run.completed');
  assert.equal(runCompleted?.type === 'run.completed' ? runCompleted.costUsd : undefined, 1, 'run.completed carries the total');
});

test('nodes served from the execution cache cost nothing', async () => {
  const first = run(true, 99);
  await completeTwice(first);
  const second = run(true, 99);
  const res = await store.createRuns([second]);
  assert.deepEqual(res.jobs, []);
  const cached = res.notices.filter((n) => n.type === 'node.completed');
  assert.equal(cached.length, 4);
  for (const n of cached) assert.equal((n as { costUsd?: number }).costUsd, 0);
  const nodes = await pool.query(`SELECT DISTINCT cost_usd FROM node_runs WHERE run_id = $1`, [second.runId]);
  assert.deepEqual(nodes.rows.map((n) => Number(n.cost_usd)), [0]);
  const runRow = (await pool.query(`SELECT cost_usd FROM runs WHERE id = $1`, [second.runId])).rows[0];
  assert.equal(Number(runRow.cost_usd), 0);
  const runCompleted = res.notices.find((n) => n.type === 'run.completed');
  assert.equal(runCompleted?.type === 'run.completed' ? runCompleted.costUsd : undefined, 0);
});

test('the cost meter prices GPU time and one month of stored bytes at the configured rates, and refuses a bad amount', () => {
  const rates = costRatesFromEnv({ STUDIOFLOW_GPU_USD_PER_HOUR: '3.6', STUDIOFLOW_STORAGE_USD_PER_GB_MONTH: '1' });
  const meter = new CostMeter(rates);
  meter.gpuTime(2000);
  const gb = 1024 ** 3;
  meter.storage([{ hash: 'a', bytes: gb / 2 }, { hash: 'a', bytes: gb / 2 }, { hash: 'b', bytes: gb / 4 }]);
  meter.record({ kind: 'cloud', usd: 0.03, model: 'm' });
  assert.throws(() => meter.record({ kind: 'cloud', usd: -1 }), /non-negative/);
  assert.throws(() => meter.record({ kind: 'cloud', usd: Number.NaN }), /non-negative/);
  const total = meter.total();
  assert.deepEqual(total.parts.map((p) => [p.kind, Number(p.usd.toFixed(6))]), [['gpu', 0.002], ['storage', 0.75], ['cloud', 0.03]]);
  assert.equal(total.usd, 0.782);
  assert.throws(() => costRatesFromEnv({ STUDIOFLOW_GPU_USD_PER_HOUR: 'lots' }), /STUDIOFLOW_GPU_USD_PER_HOUR/);
});

test('the local runner sums what nodes report through ctx.cost and the bytes they store', async () => {
  const paid = defineNode({
    type: 'paid',
    version: 1,
    title: 'Paid',
    category: 'test',
    description: 'Reports a cloud price and stores a file',
    resource: 'cloud',
    inputs: [],
    outputs: [{ name: 'out', type: 'report' }],
    params: Type.Object({}),
    cacheable: false,
    async run(ctx) {
      ctx.cost({ kind: 'cloud', usd: 0.04, model: 'test/model' });
      const ref = await ctx.artifacts.put(Buffer.alloc(1024, 1), { mime: 'application/octet-stream' });
      return { out: { ref } };
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'sf-costs-'));
  try {
    const result = await runGraphLocally(
      { nodes: [{ id: 'p', type: 'paid' }, { id: 'q', type: 'paid' }], edges: [] },
      { catalog: new NodeCatalog([paid]), artifacts: new LocalArtifactStore(dir), costRates: { gpuUsdPerHour: 1, storageUsdPerGbMonth: 10485.76 } },
    );
    assert.equal(result.error, undefined);
    assert.deepEqual(result.costs.p.parts.map((x) => x.kind), ['cloud', 'storage']);
    // 1 KiB at $10485.76 per GB-month (one month) is $0.01.
    assert.equal(result.costs.p.usd, 0.05);
    assert.equal(result.costUsd, 0.1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
