import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '../src/artifacts';
import type { ArtifactRef } from '../src/contract';
import { ArtifactCollector, claimBeforeStoring, DEFAULT_RETENTION, retentionFromEnv, type RetentionPolicy } from '../src/retention';
import { compilePlan } from '../src/scheduler';
import { PgRunStore, ReplayUnavailableError, type NewRun } from '../src/store';
import { diamond, testCatalog } from './support/test-nodes';

let db: ScratchDatabase;
let pool: Pool;
let dir: string;
let store: PgRunStore;
let artifacts: SlowDeleteStore;
let tenantId: string;
let versionId: string;
// No grace: a pass marks, the next one deletes (the tests age rows instead of waiting).
const policy: RetentionPolicy = { ...DEFAULT_RETENTION, graceMs: 0 };
const plainCatalog = testCatalog().descriptors;
const cachedCatalog = testCatalog(undefined, 0, true).descriptors;

/** The local store, whose deletions can be held back to interleave a sweep with a run. */
class SlowDeleteStore extends LocalArtifactStore {
  hold: Promise<void> | null = null;
  deleting = 0;
  override async delete(hash: string): Promise<void> {
    this.deleting += 1;
    if (this.hold) await this.hold;
    return super.delete(hash);
  }
}

before(async () => {
  db = await createScratchDatabase('artifact_gc');
  pool = db.pool(8);
  store = new PgRunStore(pool);
  dir = await mkdtemp(join(tmpdir(), 'sf-gc-'));
  artifacts = new SlowDeleteStore(dir);
  tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 1000) RETURNING id`)).rows[0].id;
  const g = (await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId])).rows[0].id;
  versionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [g, tenantId])).rows[0].id;
});
after(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  // Each test starts from a store the collector has nothing to do in.
  await pool.query(`UPDATE runs SET finished_at = now(), created_at = now() WHERE finished_at IS NOT NULL`);
  await pool.query(`UPDATE artifacts SET created_at = now()`);
  await pool.query(`DELETE FROM artifact_sweeps`);
});

const collector = () => new ArtifactCollector(pool, artifacts, policy);
let counter = 0;
const put = (label: string) => artifacts.put(Buffer.from(`${label} ${++counter} ${randomUUID()}`), { mime: 'image/png', width: 2, height: 2 });

function newRun(catalog = plainCatalog, seed?: ArtifactRef, value = 1): NewRun {
  const doc = structuredClone(diamond);
  (doc.nodes[0] as { params: { value: number } }).params.value = value;
  const runId = randomUUID();
  return {
    runId, tenantId, kind: 'test', graphVersionId: versionId, plan: compilePlan(doc, catalog), info: { runId, tenantId },
    seedInputs: seed ? { A: { upload: seed } } : {}, priceCredits: 2,
    ...(seed ? { seedArtifacts: [{ seed: 'upload', ref: seed }] } : {}),
  };
}

/** Completes every node of a run; each output carries a fresh artifact, recorded like a worker's. Returns them by node. */
async function complete(r: NewRun, jobs: Array<{ data: { nodeId: string; generation: number; runId: string } }>, upTo?: string): Promise<Record<string, ArtifactRef>> {
  const refs: Record<string, ArtifactRef> = {};
  let pending = jobs.filter((j) => j.data.runId === r.runId);
  while (pending.length) {
    const items = [];
    for (const j of pending) {
      if (j.data.nodeId === upTo) return refs;
      const ref = await put(`${r.runId} ${j.data.nodeId}`);
      refs[j.data.nodeId] = ref;
      items.push({ runId: r.runId, event: { kind: 'node_succeeded' as const, nodeId: j.data.nodeId, generation: j.data.generation, outputs: { out: { value: 1, path: [], image: ref } } }, artifacts: [ref], startedAt: new Date() });
    }
    pending = (await store.applyEvents(items)).jobs;
  }
  return refs;
}

/** Moves a run and its artifacts `days` into the past. */
async function age(runId: string, days: number): Promise<void> {
  await pool.query(`UPDATE runs SET created_at = now() - $2 * interval '1 day', finished_at = now() - $2 * interval '1 day' WHERE id = $1`, [runId, days]);
  await pool.query(`UPDATE artifacts SET created_at = now() - $2 * interval '1 day' WHERE run_id = $1`, [runId, days]);
}

async function twoPasses() {
  const first = await collector().collect();
  const second = await collector().collect();
  assert.ok(first && second, 'no other collector holds the lock');
  return { first, second };
}

test('expired intermediates are deleted; the seed, the result, a live run, a replayable run and recent uploads are kept', async () => {
  const oldSeed = await put('old seed');
  const old = newRun(plainCatalog, oldSeed);
  const oldRefs = await complete(old, (await store.createRuns([old])).jobs);
  await age(old.runId, 10);

  const recent = newRun();
  const recentRefs = await complete(recent, (await store.createRuns([recent])).jobs);
  await age(recent.runId, 1);

  const live = newRun();
  const liveRefs = await complete(live, (await store.createRuns([live])).jobs, 'D');
  await pool.query(`UPDATE artifacts SET created_at = now() - interval '10 days' WHERE run_id = $1`, [live.runId]);

  const keptUpload = await put('recent upload');
  const expiredUpload = await put('expired upload');
  await pool.query(
    `INSERT INTO uploads (id, tenant_id, hash, mime, bytes, width, height, created_at) VALUES
       ($1, $3, $4, 'image/png', $5, 2, 2, now() - interval '5 days'), ($2, $3, $6, 'image/png', $7, 2, 2, now() - interval '40 days')`,
    [randomUUID(), randomUUID(), tenantId, keptUpload.hash, keptUpload.bytes, expiredUpload.hash, expiredUpload.bytes],
  );

  const { first, second } = await twoPasses();
  assert.equal(first.deleted, 0, 'the first pass only marks');
  const gone = [oldRefs.A, oldRefs.B, oldRefs.C, expiredUpload];
  assert.equal(first.marked, gone.length);
  assert.equal(second.deleted, gone.length);
  assert.equal(second.bytesFreed, gone.reduce((sum, r) => sum + r.bytes, 0));
  assert.equal(second.uploadsExpired, 1);
  for (const ref of gone) assert.equal(await artifacts.has(ref.hash), false, `${ref.hash} deleted`);
  const kept = [oldSeed, oldRefs.D, ...Object.values(recentRefs), ...Object.values(liveRefs), keptUpload];
  for (const ref of kept) assert.equal(await artifacts.has(ref.hash), true, `${ref.hash} kept`);
  const rows = await pool.query(`SELECT count(*)::int AS n FROM artifacts WHERE hash = ANY($1::bpchar[])`, [gone.map((r) => r.hash)]);
  assert.equal(rows.rows[0].n, 0, 'their rows went with them');
  const passes = await pool.query(`SELECT sum(deleted)::int AS deleted, sum(bytes_freed)::float8 AS bytes FROM artifact_gc_passes`);
  assert.ok(passes.rows[0].deleted >= gone.length, 'passes are recorded for /metrics');
});

test('a replay of a run whose intermediates were collected recomputes them; one whose photo was collected says why', async () => {
  const seed = await put('seed');
  const parent = newRun(plainCatalog, seed);
  await complete(parent, (await store.createRuns([parent])).jobs);
  await age(parent.runId, 10);
  await twoPasses();

  const replayId = randomUUID();
  const res = await store.replay(parent.runId, 'D', undefined, replayId, { kind: 'test', priceCredits: 0 });
  assert.deepEqual(res.jobs.map((j) => j.data.nodeId), ['A'], 'the source re-runs: its output was collected');
  const states = await pool.query(`SELECT node_id, state FROM node_runs WHERE run_id = $1 ORDER BY node_id`, [replayId]);
  assert.deepEqual(states.rows.map((r) => r.state), ['queued', 'pending', 'pending', 'pending']);

  await pool.query(`UPDATE artifacts SET created_at = now() - interval '40 days' WHERE hash = $1`, [seed.hash]);
  await pool.query(`UPDATE runs SET created_at = now() - interval '40 days', finished_at = now() - interval '40 days' WHERE id = ANY($1::uuid[])`, [[parent.runId, replayId]]);
  await twoPasses();
  assert.equal(await artifacts.has(seed.hash), false, 'the photo is past its retention');
  await assert.rejects(
    store.replay(parent.runId, 'D', undefined, randomUUID(), { kind: 'test', priceCredits: 0 }),
    (err: Error) => err instanceof ReplayUnavailableError && /photo it started from was deleted/.test(err.message),
  );
});

test('an execution-cache entry keeps its artifacts until it expires, and goes before them', async () => {
  const r = newRun(cachedCatalog, undefined, 77);
  const refs = await complete(r, (await store.createRuns([r])).jobs);
  await age(r.runId, 10);
  for (const ref of Object.values(refs)) assert.equal(await artifacts.has(ref.hash), true, 'the cache entries name them');

  await pool.query(`UPDATE node_cache SET used_at = now() - interval '10 days' WHERE run_id = $1`, [r.runId]);
  const { first, second } = await twoPasses();
  assert.equal(first.cacheEntriesExpired, 3);
  assert.ok(second.deleted >= 2, 'A and B; the result is a delivery, kept');
  assert.equal(await artifacts.has(refs.B.hash), false);
  assert.equal(await artifacts.has(refs.D.hash), true);
  assert.equal(await artifacts.has(refs.A.hash), false);
  const again = newRun(cachedCatalog, undefined, 77);
  assert.equal((await store.createRuns([again])).jobs.length, 1, 'the expired entry no longer serves the run: its source runs again');
});

test('a dry run lists what would go and changes nothing', async () => {
  const r = newRun();
  const refs = await complete(r, (await store.createRuns([r])).jobs);
  await age(r.runId, 10);
  const report = await collector().dryRun();
  assert.equal(report.candidates.count, 3);
  assert.deepEqual(new Set(report.candidates.sample.map((s) => s.hash)), new Set([refs.A.hash, refs.B.hash, refs.C.hash]));
  assert.equal(report.candidates.bytes, refs.A.bytes + refs.B.bytes + refs.C.bytes);
  const marks = await pool.query(`SELECT count(*)::int AS n FROM artifact_sweeps`);
  assert.equal(marks.rows[0].n, 0);
  for (const ref of Object.values(refs)) assert.equal(await artifacts.has(ref.hash), true);
});

test('a node that writes a marked hash keeps it; one whose file is deleted while it runs fails clearly and is refunded', async () => {
  // Two old runs whose intermediates are marked.
  const a = newRun();
  const aRefs = await complete(a, (await store.createRuns([a])).jobs);
  await age(a.runId, 10);
  assert.ok(((await collector().collect())?.marked ?? 0) >= 3);

  // A new run's node writes A's hash again (same bytes) before the sweep: the use removes the mark.
  const reuse = newRun();
  const reuseJobs = (await store.createRuns([reuse])).jobs;
  const j = reuseJobs[0].data;
  await store.applyEvents([{ runId: reuse.runId, event: { kind: 'node_succeeded', nodeId: j.nodeId, generation: j.generation, outputs: { out: { value: 1, path: [], image: aRefs.A } } }, artifacts: [aRefs.A], startedAt: new Date() }]);
  const swept = await collector().collect();
  assert.equal(await artifacts.has(aRefs.A.hash), true, 'used again before the sweep: kept');
  assert.ok(swept && swept.deleted >= 2);

  // Now a sweep is deleting a marked file while a node that "wrote" the same bytes (and found the file there) completes.
  const b = newRun();
  const bRefs = await complete(b, (await store.createRuns([b])).jobs);
  await age(b.runId, 10);
  await collector().collect();
  const victim = newRun();
  const victimJob = (await store.createRuns([victim])).jobs[0].data;
  const startedAt = new Date();
  let release!: () => void;
  artifacts.hold = new Promise<void>((resolve) => (release = resolve));
  artifacts.deleting = 0;
  const sweeping = collector().collect();
  while (artifacts.deleting === 0) await new Promise((r) => setTimeout(r, 10));
  let completed = false;
  const completing = store
    .applyEvents([{ runId: victim.runId, event: { kind: 'node_succeeded', nodeId: victimJob.nodeId, generation: victimJob.generation, outputs: { out: { value: 1, path: [], image: bRefs.A } } }, artifacts: [bRefs.A], startedAt }])
    .then(() => (completed = true));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(completed, false, 'the completion waits for the sweep holding the hash');
  artifacts.hold = null;
  release();
  await Promise.all([sweeping, completing]);
  assert.equal(await artifacts.has(bRefs.A.hash), false);
  const run = await pool.query(`SELECT status, error FROM runs WHERE id = $1`, [victim.runId]);
  assert.equal(run.rows[0].status, 'failed');
  const node = await pool.query(`SELECT state, error FROM node_runs WHERE run_id = $1 AND node_id = $2`, [victim.runId, victimJob.nodeId]);
  assert.equal(node.rows[0].state, 'failed');
  assert.match(node.rows[0].error, /deleted by the storage collector while the node ran/);
  const refund = await pool.query(`SELECT amount FROM credit_ledger WHERE run_id = $1 AND kind = 'refund'`, [victim.runId]);
  assert.deepEqual(refund.rows.map((r) => r.amount), [2]);
});

test('only one process collects at a time', async () => {
  const lock = await pool.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock($1)`, [0x73666763]);
    assert.equal(await collector().collect(), null, 'another process holds the lock: this one skips');
  } finally {
    await lock.query(`SELECT pg_advisory_unlock($1)`, [0x73666763]);
    lock.release();
  }
  assert.notEqual(await collector().collect(), null);
});

test('the policy comes from the environment, and a bad value is refused by name', () => {
  const p = retentionFromEnv({ ARTIFACT_INTERMEDIATE_RETENTION_DAYS: '1.5', ARTIFACT_GC_GRACE_MINUTES: '0', ARTIFACT_GC_INTERVAL_MINUTES: '15' });
  assert.deepEqual(p, { ...DEFAULT_RETENTION, intermediateDays: 1.5, graceMs: 0, intervalMs: 15 * 60_000 });
  assert.throws(() => retentionFromEnv({ ARTIFACT_UPLOAD_RETENTION_DAYS: '0' }), /ARTIFACT_UPLOAD_RETENTION_DAYS must be a positive number, got "0"/);
  assert.throws(() => retentionFromEnv({ ARTIFACT_GC_BATCH: 'many' }), /ARTIFACT_GC_BATCH/);
});

test('an upload of bytes the collector is deleting waits for the sweep, then stores them again', async () => {
  const r = newRun();
  const refs = await complete(r, (await store.createRuns([r])).jobs);
  await age(r.runId, 10);
  await collector().collect(); // marks A, B, C
  const bytes = await artifacts.get(refs.B.hash);
  let release!: () => void;
  artifacts.hold = new Promise<void>((resolve) => (release = resolve));
  artifacts.deleting = 0;
  const sweeping = collector().collect();
  while (artifacts.deleting === 0) await new Promise((res) => setTimeout(res, 10));
  let claimed = false;
  const uploading = claimBeforeStoring(pool, [refs.B.hash]).then(async () => {
    claimed = true;
    return artifacts.put(bytes, { mime: 'image/png' });
  });
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(claimed, false, 'the claim waits for the sweep holding the hash');
  artifacts.hold = null;
  release();
  await Promise.all([sweeping, uploading]);
  assert.equal(await artifacts.has(refs.B.hash), true, 'stored again after the sweep deleted it');
  assert.equal(await artifacts.has(refs.C.hash), false);
});

test("a tenant's own upload retention replaces the default", async () => {
  const seed = await put('seed of a short-retention tenant');
  const r = newRun(plainCatalog, seed);
  await complete(r, (await store.createRuns([r])).jobs);
  await age(r.runId, 10);
  await twoPasses();
  assert.equal(await artifacts.has(seed.hash), true, 'the default keeps photos 30 days');
  await pool.query(`UPDATE tenants SET upload_retention_days = 7 WHERE id = $1`, [tenantId]);
  try {
    await twoPasses();
    assert.equal(await artifacts.has(seed.hash), false, 'this tenant keeps them 7 days');
  } finally {
    await pool.query(`UPDATE tenants SET upload_retention_days = NULL WHERE id = $1`, [tenantId]);
  }
});
