import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { compilePlan } from '../src/scheduler';
import type { GraphDoc } from '../src/graph';
import type { NewRun } from '../src/store';
import { diamond, testCatalog, type ExecutionLog } from './support/test-nodes';
import { startInfra, waitFor } from './support/infra';

let infra: Awaited<ReturnType<typeof startInfra>>;
const log: ExecutionLog = { calls: [] };
const catalog = testCatalog(log, 15);

before(async () => {
  infra = await startInfra('diamond');
  // Two worker hosts on one queue: B and C of a run often complete at the same moment on different hosts.
  await infra.startWorker(catalog, 25);
  await infra.startWorker(catalog, 25);
});
after(async () => infra.stop());

function newRun(failB = false): NewRun {
  const doc = structuredClone(diamond) as GraphDoc;
  if (failB) doc.nodes[1].params = { fail: true };
  const runId = randomUUID();
  return {
    runId,
    tenantId: infra.tenantId,
    kind: 'test',
    graphVersionId: infra.graphVersionId,
    plan: compilePlan(doc, catalog.descriptors),
    info: { runId, tenantId: infra.tenantId },
    seedInputs: {},
    priceCredits: 2,
  };
}

test('100 diamonds on real Redis + PostgreSQL: D runs exactly once per run, after B and C', async () => {
  const runs = Array.from({ length: 100 }, () => newRun());
  const balanceBefore = (await infra.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [infra.tenantId])).rows[0].credit_balance;
  await infra.coordinator.startRuns(runs);
  const ids = runs.map((r) => r.runId);
  await waitFor(async () => {
    const res = await infra.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status = 'completed'`, [ids]);
    return res.rows[0].n === ids.length;
  }, 60_000, 'all diamonds to complete');

  for (const id of ids) {
    const calls = log.calls.filter((c) => c.runId === id);
    const d = calls.filter((c) => c.nodeId === 'D');
    assert.equal(d.length, 1, `D ran ${d.length} times in run ${id}`);
    const b = calls.find((c) => c.nodeId === 'B')!;
    const c = calls.find((c) => c.nodeId === 'C')!;
    assert.ok(d[0].at >= b.at && d[0].at >= c.at, 'D started after B and C');
    assert.equal(calls.length, 4);
  }
  const result = await infra.pool.query(`SELECT outputs FROM runs WHERE id = $1`, [ids[0]]);
  assert.equal(result.rows[0].outputs.D.out.value, 4, 'D received both inputs: (1+1)+(1+1)');
  const states = await infra.pool.query(`SELECT DISTINCT state FROM node_runs WHERE run_id = ANY($1)`, [ids]);
  assert.deepEqual(states.rows.map((r) => r.state), ['done']);
  const balanceAfter = (await infra.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [infra.tenantId])).rows[0].credit_balance;
  assert.equal(balanceBefore - balanceAfter, 200, 'charged 2 credits per run, no refunds');
});

test('a failing node fails its run, skips D and refunds exactly once', async () => {
  const runs = Array.from({ length: 20 }, () => newRun(true));
  await infra.coordinator.startRuns(runs);
  const ids = runs.map((r) => r.runId);
  await waitFor(async () => {
    const res = await infra.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status = 'failed'`, [ids]);
    return res.rows[0].n === ids.length;
  }, 30_000, 'runs to fail');
  // Give late completions of C a moment to arrive; they must not change anything.
  await new Promise((r) => setTimeout(r, 300));
  const refunds = await infra.pool.query(`SELECT run_id, amount FROM credit_ledger WHERE kind = 'refund' AND run_id = ANY($1)`, [ids]);
  assert.equal(refunds.rowCount, 20);
  assert.ok(refunds.rows.every((r) => r.amount === 2));
  assert.equal(log.calls.filter((c) => ids.includes(c.runId) && c.nodeId === 'D').length, 0);
  const d = await infra.pool.query(`SELECT DISTINCT state FROM node_runs WHERE run_id = ANY($1) AND node_id = 'D'`, [ids]);
  assert.deepEqual(d.rows.map((r) => r.state), ['skipped']);
});
