import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { defineNode, NodeCatalog } from '../src/contract';
import type { GraphDoc } from '../src/graph';
import { startRun, type StartRunRequest } from '../src/runs';
import { GraphInvalidError } from '../src/scheduler';
import { InsufficientCreditsError } from '../src/store';
import { startInfra } from './support/infra';

let infra: Awaited<ReturnType<typeof startInfra>>;

/** A node that takes the uploaded photo as its seed, and one after it. */
const catalog = new NodeCatalog([
  defineNode({
    type: 'photo',
    version: 1,
    title: 'Photo',
    category: 'test',
    description: 'Passes the upload on',
    resource: 'cpu',
    inputs: [],
    seeds: [{ name: 'upload', type: 'image' }],
    outputs: [{ name: 'image', type: 'image' }],
    params: Type.Object({ side: Type.Number({ default: 512, minimum: 1 }) }),
    cacheable: false,
    async run(_ctx, inputs) {
      return { image: inputs.upload! };
    },
  }),
]);
const doc: GraphDoc = { nodes: [{ id: 'in', type: 'photo' }], edges: [] };

before(async () => {
  infra = await startInfra('start-run');
});
after(async () => infra.stop());

async function request(priceCredits: number, extra: Partial<StartRunRequest> = {}): Promise<StartRunRequest> {
  const upload = await infra.artifacts.put(Buffer.from(`photo ${Math.random()}`), { mime: 'image/png', width: 4, height: 3 });
  return {
    tenantId: infra.tenantId,
    kind: 'shoot',
    version: { id: infra.graphVersionId, graphId: 'g', version: 1, doc },
    priceCredits,
    seeds: { upload },
    ...extra,
  };
}

async function count(sql: string, params: unknown[]): Promise<number> {
  return (await infra.pool.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
}

test('startRun records the upload with the run, charges once and enqueues the seeded node', async () => {
  const r = await request(3);
  const upload = (r.seeds as { upload: { hash: string } }).upload;
  const { runId, repeated } = await startRun(infra.coordinator, catalog.descriptors, r);
  assert.equal(repeated, false);
  const row = (await infra.pool.query(`SELECT run_id, node_id, width FROM artifacts WHERE hash = $1`, [upload.hash])).rows[0];
  assert.deepEqual(row, { run_id: runId, node_id: 'upload', width: 4 });
  assert.equal(await count(`credit_ledger WHERE run_id = $1 AND kind = 'charge' AND amount = -3`, [runId]), 1);
  const seeds = (await infra.pool.query(`SELECT seed_inputs FROM runs WHERE id = $1`, [runId])).rows[0].seed_inputs;
  assert.equal(seeds.in.upload.hash, upload.hash, 'the seed is bound to the node that declares it');
  const jobs = await infra.coordinator.queues.queues.cpu.getJobs(['waiting', 'prioritized']);
  assert.deepEqual(jobs.filter((j) => j.data.runId === runId).map((j) => j.data.nodeId), ['in'], 'the first node was enqueued after COMMIT');
});

test('a run the balance cannot pay leaves no run, no charge and no artifacts row', async () => {
  const r = await request(10_000_000);
  const upload = (r.seeds as { upload: { hash: string } }).upload;
  const runsBefore = await count(`runs`, []);
  const ledgerBefore = await count(`credit_ledger`, []);
  await assert.rejects(startRun(infra.coordinator, catalog.descriptors, r), InsufficientCreditsError);
  assert.equal(await count(`runs`, []), runsBefore);
  assert.equal(await count(`credit_ledger`, []), ledgerBefore);
  assert.equal(await count(`artifacts WHERE hash = $1`, [upload.hash]), 0);
});

test('bad params fail before anything is stored or charged', async () => {
  const r = await request(1, { params: { 'in.side': 0 } });
  const runsBefore = await count(`runs`, []);
  await assert.rejects(startRun(infra.coordinator, catalog.descriptors, r), GraphInvalidError);
  assert.equal(await count(`runs`, []), runsBefore);
});

test('the same idempotency key sent twice at once starts one run and charges once', async () => {
  const r = await request(2, { idempotencyKey: 'same-key' });
  const [a, b] = await Promise.all([startRun(infra.coordinator, catalog.descriptors, r), startRun(infra.coordinator, catalog.descriptors, r)]);
  assert.equal(a.runId, b.runId);
  assert.deepEqual([a.repeated, b.repeated].sort(), [false, true]);
  assert.equal(await count(`credit_ledger WHERE run_id = $1 AND kind = 'charge'`, [a.runId]), 1);
});
