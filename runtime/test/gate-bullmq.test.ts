import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { compilePlan, type GateReport } from '../src/scheduler';
import type { NewRun } from '../src/store';
import { gated, testCatalog, type ExecutionLog } from './support/test-nodes';
import { startInfra, waitFor } from './support/infra';

let infra: Awaited<ReturnType<typeof startInfra>>;
const log: ExecutionLog = { calls: [] };
const catalog = testCatalog(log);

before(async () => {
  infra = await startInfra('gate');
  await infra.startWorker(catalog, 10);
});
after(async () => infra.stop());

function newRun(gateParams: Record<string, unknown> = {}): NewRun {
  const runId = randomUUID();
  return {
    runId,
    tenantId: infra.tenantId,
    kind: 'test',
    graphVersionId: infra.graphVersionId,
    plan: compilePlan(gated(gateParams), catalog.descriptors),
    info: { runId, tenantId: infra.tenantId },
    seedInputs: {},
    priceCredits: 3,
  };
}

async function runUntil(run: NewRun, status: string): Promise<void> {
  await infra.coordinator.startRuns([run]);
  await waitFor(async () => {
    const res = await infra.pool.query(`SELECT status FROM runs WHERE id = $1`, [run.runId]);
    return res.rows[0]?.status === status;
  }, 30_000, `run to be ${status}`);
}

async function nodeRows(runId: string) {
  const res = await infra.pool.query(`SELECT node_id, state, generation, outputs, params_override FROM node_runs WHERE run_id = $1`, [runId]);
  return Object.fromEntries(res.rows.map((r) => [r.node_id, r]));
}

test('on real PostgreSQL + BullMQ a low first score re-runs the scorer with the adjusted param and the run completes with both attempts reported', async () => {
  const run = newRun();
  await runUntil(run, 'completed');
  const nodes = await nodeRows(run.runId);
  const report = nodes.G.outputs.report as GateReport;
  assert.deepEqual(report.attempts, [
    { attempt: 1, score: 0.2, params: { 'S.quality': 0.2 }, passed: false },
    { attempt: 2, score: 0.8, params: { 'S.quality': 0.8 }, passed: true },
  ]);
  assert.deepEqual(nodes.S.params_override, { quality: 0.8 }, 'the adjusted param is persisted as the node override');
  assert.equal(nodes.S.generation, 3);
  const calls = log.calls.filter((c) => c.runId === run.runId).map((c) => c.nodeId);
  assert.deepEqual(calls, ['A', 'P', 'S', 'P', 'S', 'B'], 'A kept its output; B ran once, after the gate passed');
  const outputs = (await infra.pool.query(`SELECT outputs FROM runs WHERE id = $1`, [run.runId])).rows[0].outputs;
  assert.deepEqual(outputs.B.out, { value: 3, path: ['A', 'P', 'S', 'B'] });
  const refunds = await infra.pool.query(`SELECT 1 FROM credit_ledger WHERE kind = 'refund' AND run_id = $1`, [run.runId]);
  assert.equal(refunds.rowCount, 0);
});

test('on real PostgreSQL + BullMQ an exhausted gate fails the run, keeps its attempts and refunds exactly once', async () => {
  const run = newRun({ maxAttempts: 2, adjust: [{ param: 'S.quality', op: 'add', value: 0.1 }] });
  await runUntil(run, 'failed');
  await new Promise((r) => setTimeout(r, 200)); // nothing late may change the outcome
  const nodes = await nodeRows(run.runId);
  assert.equal(nodes.G.state, 'failed');
  assert.deepEqual((nodes.G.outputs.report as GateReport).attempts.map((a) => a.attempt), [1, 2]);
  assert.equal(nodes.B.state, 'skipped');
  const refunds = await infra.pool.query(`SELECT amount FROM credit_ledger WHERE kind = 'refund' AND run_id = $1`, [run.runId]);
  assert.deepEqual(refunds.rows.map((r) => r.amount), [3]);
});

test('on real PostgreSQL + BullMQ an exhausted gate with onExhausted review parks the run until a reviewer approves', async () => {
  const run = newRun({ maxAttempts: 1, onExhausted: 'review' });
  await runUntil(run, 'awaiting_review');
  const parked = await nodeRows(run.runId);
  assert.equal(parked.G.state, 'awaiting_review');
  assert.equal((parked.G.outputs.report as GateReport).attempts.length, 1, 'the reviewer sees the attempt');
  await infra.coordinator.applyDirect([{ runId: run.runId, event: { kind: 'review_decided', nodeId: 'G', generation: parked.G.generation, decision: 'approve', note: 'fine' } }]);
  await waitFor(async () => (await infra.pool.query(`SELECT status FROM runs WHERE id = $1`, [run.runId])).rows[0].status === 'completed', 30_000, 'approved run to complete');
  const nodes = await nodeRows(run.runId);
  assert.deepEqual((nodes.G.outputs.report as GateReport).review, { decision: 'approve', note: 'fine' });
});
