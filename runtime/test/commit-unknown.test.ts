import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { compilePlan } from '../src/scheduler';
import { CommitOutcomeUnknownError, type NewRun } from '../src/store';
import { diamond, testCatalog } from './support/test-nodes';
import { startInfra, waitFor } from './support/infra';

/**
 * A connection lost during COMMIT, made deterministic: a deferred constraint trigger sleeps at
 * commit time, and the test terminates that backend while it sleeps (the commit never lands).
 */
let infra: Awaited<ReturnType<typeof startInfra>>;
const catalog = testCatalog();

before(async () => {
  infra = await startInfra('commitunknown');
  await infra.pool.query(`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$`);
});
after(async () => infra.stop());

function newRun(): NewRun {
  const runId = randomUUID();
  const t = infra.tenantId;
  return { runId, tenantId: t, kind: 'test', graphVersionId: infra.graphVersionId, plan: compilePlan(diamond, catalog.descriptors), info: { runId, tenantId: t }, seedInputs: {}, priceCredits: 2 };
}

/** Terminates the first backend found sleeping inside COMMIT; resolves once it has. */
async function killDuringCommit(): Promise<void> {
  await waitFor(async () => {
    const res = await infra.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND state = 'active' AND query = 'COMMIT' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`,
    );
    return (res.rowCount ?? 0) > 0;
  }, 30_000, 'a backend sleeping in COMMIT');
}

const balance = async () => (await infra.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [infra.tenantId])).rows[0].credit_balance as number;

test('creating a run whose COMMIT is lost is not retried blindly: CommitOutcomeUnknownError, nothing charged', async () => {
  await infra.pool.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON runs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`);
  try {
    const before = await balance();
    const r = newRun();
    // Settled into a value at once: the rejection may arrive while the kill is still being confirmed.
    const outcome = infra.store.createRuns([r]).then(() => null, (err: unknown) => err);
    await killDuringCommit();
    assert.ok((await outcome) instanceof CommitOutcomeUnknownError, 'the unknown COMMIT is reported, not retried');
    const runs = await infra.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = $1`, [r.runId]);
    assert.equal(runs.rows[0].n, 0, 'this COMMIT did not land, and the store did not repeat it');
    assert.equal(await balance(), before, 'nothing charged');
  } finally {
    await infra.pool.query(`DROP TRIGGER slow_commit ON runs`);
  }
});

test('a worker completion whose COMMIT is lost is retried: the node is done once and its successors are queued', async () => {
  const r = newRun();
  await infra.coordinator.startRuns([r]);
  const a = (await infra.pool.query(`SELECT generation FROM node_runs WHERE run_id = $1 AND node_id = 'A'`, [r.runId])).rows[0];
  await infra.pool.query(
    `CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON node_runs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.state = 'done') EXECUTE FUNCTION slow_commit()`,
  );
  try {
    const submitted = infra.coordinator.submit({ runId: r.runId, event: { kind: 'node_succeeded', nodeId: 'A', generation: a.generation, outputs: { out: { value: 1, path: [] } } }, attempts: 1 });
    await killDuringCommit();
    await submitted;
    const nodes = await infra.pool.query(`SELECT node_id, state FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [r.runId]);
    assert.deepEqual(nodes.rows.map((n) => `${n.node_id}:${n.state}`), ['A:done', 'B:queued', 'C:queued', 'D:pending']);
    const queued = await infra.coordinator.queues.queues.cpu.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    const mine = queued.filter((j) => j.data.runId === r.runId).map((j) => j.data.nodeId).sort();
    assert.deepEqual([...new Set(mine)], ['A', 'B', 'C'], 'B and C were enqueued (A is the job no worker took in this test)');
  } finally {
    await infra.pool.query(`DROP TRIGGER slow_commit ON node_runs`);
  }
});
