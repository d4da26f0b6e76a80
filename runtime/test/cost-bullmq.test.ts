import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { defineNode, NodeCatalog } from '../src/contract';
import { compilePlan } from '../src/scheduler';
import { startInfra, waitFor } from './support/infra';

// The worker host's cost accounting through BullMQ and PostgreSQL: what the node reports, its GPU
// time on the gpu resource, and one month of the bytes it stored.
const render = defineNode({
  type: 'render',
  version: 1,
  title: 'Render',
  category: 'test',
  description: 'Pays a cloud price, works on the GPU slot a moment and stores 1 KiB',
  resource: 'gpu',
  inputs: [],
  outputs: [{ name: 'out', type: 'report' }],
  params: Type.Object({}),
  cacheable: false,
  async run(ctx) {
    ctx.cost({ kind: 'cloud', usd: 0.02, model: 'test/upscaler', detail: 'one image' });
    await new Promise((r) => setTimeout(r, 50));
    const ref = await ctx.artifacts.put(Buffer.alloc(1024, 7), { mime: 'application/octet-stream' });
    return { out: { ref } };
  },
});
const catalog = new NodeCatalog([render]);
let infra: Awaited<ReturnType<typeof startInfra>>;

before(async () => {
  infra = await startInfra('costs');
  await infra.startWorker(catalog, 2, { resources: ['gpu'], costRates: { gpuUsdPerHour: 3600, storageUsdPerGbMonth: 10485.76 } });
});
after(async () => infra.stop());

test('a gpu job is charged what it reported, its GPU seconds and one month of what it stored', async () => {
  const runId = randomUUID();
  const plan = compilePlan({ nodes: [{ id: 'R', type: 'render' }], edges: [] }, catalog.descriptors);
  await infra.coordinator.startRuns([
    { runId, tenantId: infra.tenantId, kind: 'test', graphVersionId: infra.graphVersionId, plan, info: { runId, tenantId: infra.tenantId }, seedInputs: {}, priceCredits: 0 },
  ]);
  await waitFor(async () => (await infra.pool.query(`SELECT status FROM runs WHERE id = $1`, [runId])).rows[0].status === 'completed', 60_000, 'the run to complete');
  const node = (await infra.pool.query(`SELECT cost_usd, cost_parts FROM node_runs WHERE run_id = $1`, [runId])).rows[0];
  const parts = node.cost_parts as Array<{ kind: string; usd: number; model?: string }>;
  assert.deepEqual(parts.map((p) => p.kind), ['cloud', 'gpu', 'storage']);
  assert.deepEqual(parts[0], { kind: 'cloud', usd: 0.02, model: 'test/upscaler', detail: 'one image' });
  // $3600 an hour is $1 a second: the node held its slot for the 50 ms it waited (timers may round down a little).
  assert.ok(parts[1].usd >= 0.04, `GPU part ${parts[1].usd}`);
  assert.ok(Math.abs(parts[2].usd - 0.01) < 1e-9, `1 KiB at $10485.76 per GB-month is $0.01, not ${parts[2].usd}`);
  const total = Number(node.cost_usd);
  assert.ok(Math.abs(total - parts.reduce((s, p) => s + p.usd, 0)) < 1e-6);
  const run = (await infra.pool.query(`SELECT cost_usd FROM runs WHERE id = $1`, [runId])).rows[0];
  assert.equal(Number(run.cost_usd), total, 'the run total is its one node');
});
