import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import IORedis from 'ioredis';
import { chain, FaultHarness, printTable, type Figures } from './support/fault-harness';

/**
 * The fault suite: real worker processes, real PostgreSQL, a private real Redis. Each scenario
 * asserts the money and the outcome; the table of figures is printed at the end.
 */
const table: Figures[] = [];
after(() => printTable(table));

const randomBetween = (a: number, b: number) => a + Math.random() * (b - a);

test('(1) 50 runs while workers are SIGKILLed at random points: 50 completed, 50 charges, 0 refunds', async () => {
  const h = await FaultHarness.start('fault1');
  try {
    h.startWorker(10);
    h.startWorker(10);
    h.reconcileEvery(1000);
    const started = Date.now();
    const ids = await h.submit(chain(5, 'step', { ms: 120 }), 50);
    let kills = 0;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, randomBetween(250, 700)));
      const alive = h.workers.filter((w) => w.exitCode === null && w.signalCode === null);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      victim.kill('SIGKILL');
      kills++;
      h.startWorker(10);
    }
    await h.waitTerminal(ids, 90_000);
    const f = await h.figures('SIGKILL workers mid-node', ids, started, `${kills} kills`);
    table.push(f);
    assert.equal(f.completed, 50);
    assert.equal(f.charges, 50);
    assert.equal(f.refunds, 0);
    const outputs = await h.pool.query(`SELECT DISTINCT (outputs->'n4'->'out'->>'value')::int AS v FROM runs WHERE id = ANY($1)`, [ids]);
    assert.deepEqual(outputs.rows, [{ v: 5 }], 'every run computed its chain exactly: 5 steps');
  } finally {
    await h.stop();
  }
});

test('(2) Redis killed and restarted mid-batch of 100: all reach a terminal state, none duplicated', async () => {
  const h = await FaultHarness.start('fault2');
  try {
    h.startWorker(20);
    h.startWorker(20);
    h.reconcileEvery(500);
    const started = Date.now();
    const ids = await h.submit(chain(5, 'step', { ms: 100 }), 100);
    await new Promise((r) => setTimeout(r, 700));
    await h.redis.kill();
    await new Promise((r) => setTimeout(r, 800));
    await h.redis.up();
    await h.waitTerminal(ids, 120_000);
    const f = await h.figures('Redis SIGKILL + restart (data lost)', ids, started, 'reconciled from PostgreSQL');
    table.push(f);
    assert.equal(f.completed + f.failed, 100);
    assert.equal(f.charges, 100, 'one charge per run');
    assert.equal(f.refunds, f.failed, 'a refund for every failed run and no other');
    const dup = await h.pool.query(`SELECT run_id, kind, count(*)::int AS n FROM credit_ledger WHERE run_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1`, [ids]);
    assert.equal(dup.rowCount, 0);
  } finally {
    await h.stop();
  }
});

test('(3) 500 runs failing concurrently across 2 workers: exactly 500 refunds', async () => {
  const h = await FaultHarness.start('fault3');
  try {
    h.startWorker(25);
    h.startWorker(25);
    const before = (await h.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [h.tenantId])).rows[0].credit_balance;
    const started = Date.now();
    const ids = await h.submit(chain(1, 'step', { ms: 5 }, { type: 'boom', retry: { attempts: 1 } }), 500, 2);
    await h.waitTerminal(ids, 120_000);
    const f = await h.figures('500 concurrent failures', ids, started);
    const after = (await h.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [h.tenantId])).rows[0].credit_balance;
    f.extra = `balance Δ ${after - before}`;
    table.push(f);
    assert.equal(f.failed, 500);
    assert.equal(f.refunds, 500);
    assert.equal(after, before, 'every credit came back, once');
    const dead = await h.pool.query(`SELECT count(*)::int AS n FROM dead_letters WHERE run_id = ANY($1)`, [ids]);
    assert.equal(dead.rows[0].n, 500, 'each failed run is in the dead-letter list');
  } finally {
    await h.stop();
  }
});

test('(4) 200 timeouts: each refunded once, no zombie work', async () => {
  const h = await FaultHarness.start('fault4');
  try {
    h.startWorker(25);
    h.startWorker(25);
    const started = Date.now();
    const ids = await h.submit(chain(0, 'step', {}, { type: 'hang', params: { ms: 2500 }, retry: { attempts: 1 }, timeoutMs: 300 }), 200);
    await h.waitTerminal(ids, 120_000);
    await new Promise((r) => setTimeout(r, 2800)); // a zombie would finish its 2.5 s sleep by now
    const redis = new IORedis(h.redis.url);
    const zombies = Number((await redis.get(`${h.prefix}:zombies`)) ?? 0);
    redis.disconnect();
    const errors = await h.pool.query(`SELECT DISTINCT error FROM node_runs WHERE run_id = ANY($1) AND state = 'failed'`, [ids]);
    const f = await h.figures('200 per-stage timeouts', ids, started, `zombies ${zombies}`);
    table.push(f);
    assert.equal(f.failed, 200);
    assert.equal(f.refunds, 200);
    assert.equal(zombies, 0, 'aborted work stopped');
    assert.deepEqual(errors.rows.map((r) => r.error), ['timed out after 0 s'.replace('0 s', `${Math.round(300 / 1000)} s`)]);
  } finally {
    await h.stop();
  }
});

test('(5) replay from a middle node gives the same output and reuses upstream artifacts', async () => {
  const h = await FaultHarness.start('fault5');
  try {
    h.startWorker(10);
    const started = Date.now();
    const [original] = await h.submit(chain(6, 'step', { ms: 10 }), 1);
    await h.waitTerminal([original], 30_000);
    const replayId = '00000000-0000-4000-8000-000000000005';
    await h.coordinator.replay(original, 'n3', undefined, replayId, null);
    await h.waitTerminal([replayId], 30_000);
    const outs = await h.pool.query(`SELECT id, outputs FROM runs WHERE id = ANY($1)`, [[original, replayId]]);
    const [a, b] = outs.rows;
    assert.deepEqual(a.outputs, b.outputs, 'same output when nothing changed');
    const reused = await h.pool.query(`SELECT node_id FROM node_runs WHERE run_id = $1 AND source_run_id = $2 ORDER BY node_id`, [replayId, original]);
    assert.deepEqual(reused.rows.map((r) => r.node_id), ['n0', 'n1', 'n2']);
    const rerun = await h.pool.query(`SELECT count(*)::int AS n FROM node_runs WHERE run_id = $1 AND state = 'done'`, [replayId]);
    assert.equal(rerun.rows[0].n, 3, 'only n3..n5 ran again');
    table.push({ ...(await h.figures('replay from n3 of 6', [original, replayId], started)), extra: '3 reused, 3 re-run, equal output' });
  } finally {
    await h.stop();
  }
});

test('(6) SIGTERM lets active nodes finish, takes no new work, and exits', async () => {
  const h = await FaultHarness.start('fault6');
  try {
    const worker = h.startWorker(10);
    const started = Date.now();
    const ids = await h.submit(chain(1, 'step', { ms: 1500 }), 10);
    const deadline = Date.now() + 20_000;
    while ((await h.coordinator.queues.queues.cpu.getActiveCount()) < 10) {
      if (Date.now() > deadline) throw new Error('the 10 nodes never became active');
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    worker.kill('SIGTERM');
    const late = await h.submit(chain(1, 'step', { ms: 10 }), 5);
    const code = await exited;
    const finishedAtExit = await h.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status = 'completed'`, [ids]);
    const lateDone = await h.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status = 'completed'`, [late]);
    assert.equal(code, 0, 'clean exit');
    assert.equal(finishedAtExit.rows[0].n, 10, 'every active node finished and was committed before exit');
    assert.equal(lateDone.rows[0].n, 0, 'no new work taken after SIGTERM');
    h.startWorker(10);
    await h.waitTerminal(late, 30_000);
    table.push({ ...(await h.figures('SIGTERM graceful shutdown', [...ids, ...late], started)), extra: '10 active finished, 5 left for the next worker' });
  } finally {
    await h.stop();
  }
});

test('(7) a worker SIGKILLed mid-node: the node re-runs on another worker and its history says 2 attempts', async () => {
  const h = await FaultHarness.start('fault7');
  try {
    const first = h.startWorker(2);
    const started = Date.now();
    const ids = await h.submit(chain(2, 'step', { ms: 1500 }), 1);
    const deadline = Date.now() + 30_000;
    while ((await h.coordinator.queues.queues.cpu.getActiveCount()) < 1) {
      if (Date.now() > deadline) throw new Error('the node never became active');
      await new Promise((r) => setTimeout(r, 50));
    }
    first.kill('SIGKILL');
    h.startWorker(2);
    await h.waitTerminal(ids, 60_000);
    const nodes = await h.pool.query(`SELECT node_id, state, attempts FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [ids[0]]);
    const f = await h.figures('SIGKILL mid-node: attempts recorded', ids, started, `n0 attempts ${nodes.rows[0].attempts}`);
    table.push(f);
    assert.equal(f.completed, 1);
    assert.equal(nodes.rows[0].state, 'done');
    assert.ok(nodes.rows[0].attempts >= 2, `the stalled re-execution is recorded (attempts ${nodes.rows[0].attempts})`);
    assert.equal(nodes.rows[1].attempts, 1, 'a node that ran once says 1');
  } finally {
    await h.stop();
  }
});
