import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { ProcessStack } from './support/process-stack';

/**
 * Lost connections under the real processes: the API and a worker as `npm start` runs them, 100
 * shoots submitted through the HTTP API while PostgreSQL connections are killed, PostgreSQL is
 * restarted, or Redis is restarted. Nothing may crash, every shoot completes, and the ledger is exact.
 */
interface Row {
  scenario: string;
  runs: number;
  completed: number;
  failed: number;
  charges: number;
  refunds: number;
  seconds: number;
  notes: string;
}
const table: Row[] = [];
const row = (
  scenario: string,
  runs: { completed: number; failed: number },
  ledger: { charges: number; refunds: number },
  seconds: number,
  notes: string,
): Row => ({ scenario, runs: SHOOTS, completed: runs.completed, failed: runs.failed, charges: ledger.charges, refunds: ledger.refunds, seconds, notes });
after(() => {
  const head = ['scenario', 'runs', 'completed', 'failed', 'charges', 'refunds', 'seconds', 'notes'];
  const lines = table.map((r) => [r.scenario, r.runs, r.completed, r.failed, r.charges, r.refunds, r.seconds, r.notes].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(['', fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt), ''].join('\n'));
});

const SHOOTS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (a: number, b: number) => a + Math.random() * (b - a);

/** Submits the batch (a few requests at a time) while `faults` runs; resolves with the run ids. */
async function batch(s: ProcessStack, label: string, faults: (submitted: () => string[]) => Promise<void>): Promise<{ ids: string[]; seconds: number }> {
  // Small photos and the smallest frame keep the CPU cost of a shoot low on a shared machine.
  const photos = await Promise.all([1, 2, 3, 4].map((seed) => makeProductPhoto({ seed, width: 400, height: 300 }).then((p) => p.jpeg)));
  const started = Date.now();
  const ids: string[] = [];
  let next = 0;
  const submitter = async () => {
    while (next < SHOOTS) {
      const i = next++;
      ids.push(await s.submitShoot(photos[i % photos.length], `${label}-${i}`, { templateId: 'white-studio', params: JSON.stringify({ 'composite.size': '16:9-2048x1152' }) }));
    }
  };
  await Promise.all([faults(() => ids), ...Array.from({ length: 4 }, submitter)]);
  await s.waitTerminal(ids, 240_000);
  return { ids, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

/** The tenant's books: exactly one run and one charge per shoot, no refund, balance down by the charges. */
async function books(s: ProcessStack, ids: string[], balanceBefore: number) {
  const [runs] = await s.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'completed')::int AS completed,
    count(*) FILTER (WHERE status = 'failed')::int AS failed FROM runs WHERE kind = 'shoot'`);
  const [ledger] = await s.query(`SELECT count(*) FILTER (WHERE kind = 'charge')::int AS charges, coalesce(-sum(amount) FILTER (WHERE kind = 'charge'), 0)::int AS charged,
    count(*) FILTER (WHERE kind = 'refund')::int AS refunds FROM credit_ledger WHERE run_id IS NOT NULL`);
  const [{ price }] = await s.query(`SELECT price_credits AS price FROM templates WHERE slug = 'white-studio'`);
  const [{ balance }] = await s.query(`SELECT credit_balance AS balance FROM tenants WHERE name = 'Demo studio'`);
  assert.equal(new Set(ids).size, SHOOTS, 'every submission has its own run');
  assert.equal(runs.total, SHOOTS, 'no run was created twice by a retried submission');
  assert.equal(runs.completed, SHOOTS, `${SHOOTS}/${SHOOTS} completed`);
  assert.equal(ledger.charges, SHOOTS, 'one charge per shoot');
  assert.equal(ledger.charged, SHOOTS * price);
  assert.equal(ledger.refunds, 0);
  assert.equal(balance, balanceBefore - SHOOTS * price, 'balance = start - charges');
  return { runs, ledger };
}

/** True while shoots are still being submitted or some submitted shoot is not finished. */
async function unfinished(s: ProcessStack, submitted: () => string[]): Promise<boolean> {
  const ids = submitted();
  if (ids.length < SHOOTS) return true;
  const [row] = await s.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`, [ids]);
  return row.n < SHOOTS;
}

async function balanceOf(s: ProcessStack): Promise<number> {
  return (await s.query(`SELECT credit_balance AS b FROM tenants WHERE name = 'Demo studio'`))[0].b;
}

function assertNoCrash(s: ProcessStack): void {
  assert.deepEqual(
    s.exits.map((e) => `${e.name} exited (${e.signal ?? e.code}): ${e.stderr.split('\n').slice(-15).join('\n')}`),
    [],
    'no process crashed',
  );
}

test('PostgreSQL: all backends terminated 10 times and one restart during 100 shoots: no crash, 100/100, ledger exact', async () => {
  const s = await ProcessStack.start('pgfault');
  try {
    const before = await balanceOf(s);
    let kills = 0;
    let terminated = 0;
    const { ids, seconds } = await batch(s, 'pg', async (progress) => {
      for (let i = 0; i < 10; i++) {
        await sleep(between(300, 900));
        terminated += await s.terminateBackends();
        kills++;
        if (i === 4) s.pg.restart();
      }
      assert.ok(await unfinished(s, progress), 'the last fault came while the batch was still running');
    });
    const { runs, ledger } = await books(s, ids, before);
    // A resent submission (same key, same request) is answered with the same run and charges nothing.
    const photo = (await makeProductPhoto({ seed: 1, width: 400, height: 300 })).jpeg;
    const [first] = await s.query(`SELECT id FROM runs WHERE idempotency_key = 'pg-0'`);
    assert.equal(await s.submitShoot(photo, 'pg-0', { templateId: 'white-studio', params: JSON.stringify({ 'composite.size': '16:9-2048x1152' }) }), first.id, 'the same key answers the same runId');
    assert.equal(await balanceOf(s), before - ledger.charged, 'the resend charged nothing');
    // A COMMIT lost mid-flight (made deterministic: a deferred trigger sleeps at commit time and its
    // backend is killed): the API answers 503 + Retry-After, and the resent request charges once.
    await s.query(`CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$`);
    await s.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON runs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`);
    const unavailableBefore = s.retried.unavailable;
    const late = s.submitShoot(photo, 'pg-late', { templateId: 'white-studio' });
    let killed = 0;
    while (killed === 0) {
      killed = (await s.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'studioflow' AND query = 'COMMIT' AND wait_event = 'PgSleep'`)).length;
      await sleep(20);
    }
    const lateId = await late;
    await s.query(`DROP TRIGGER slow_commit ON runs`);
    assert.ok(s.retried.unavailable > unavailableBefore, 'the lost COMMIT was answered 503 with Retry-After');
    const lateRuns = await s.query(`SELECT id FROM runs WHERE idempotency_key = 'pg-late'`);
    assert.deepEqual(lateRuns.map((r) => r.id), [lateId], 'one run for the resent request');
    assert.equal(await balanceOf(s), before - ledger.charged - ledger.charged / SHOOTS, 'charged once');
    await s.waitTerminal([lateId], 120_000);
    assertNoCrash(s);
    table.push(row('PG: 10× terminate all backends + 1 restart', runs, ledger, seconds, `${kills} kills (${terminated} backends), ${s.retried.unavailable}× 503 retried, ${s.transactionRetries} transactions retried, 0 crashes`));
  } finally {
    await s.stop();
  }
});

test('Redis: SIGKILLed and restarted (data lost) during 100 shoots: no crash, 100/100, ledger exact', async () => {
  const s = await ProcessStack.start('redisfault');
  try {
    const before = await balanceOf(s);
    const { ids, seconds } = await batch(s, 'redis', async (progress) => {
      while (progress().length < 30) await sleep(100);
      await s.redis.kill();
      await sleep(1000);
      await s.redis.up();
      assert.ok(await unfinished(s, progress), 'Redis came back while the batch was still running');
    });
    const { runs, ledger } = await books(s, ids, before);
    assertNoCrash(s);
    table.push(row('Redis SIGKILL + restart (API + worker)', runs, ledger, seconds, `${s.retried.unavailable}× 503, ${s.retried.network} dropped requests retried, 0 crashes`));
  } finally {
    await s.stop();
  }
});
