import type { Pool, PoolClient } from 'pg';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { liveSetCte } from './live-set';
import type { RetentionPolicy } from './policy';
import { inTransaction } from '../store/pg-pool';

/** What one pass did. */
export interface GcPassReport {
  startedAt: Date;
  /** Execution-cache entries unused for the intermediate retention, deleted first. */
  cacheEntriesExpired: number;
  /** Hashes found unreferenced and expired, to be deleted after the grace period. */
  marked: number;
  /** Marked hashes something used again before their deletion: kept. */
  kept: number;
  /** Hashes deleted from the store (with their artifacts and uploads rows). */
  deleted: number;
  bytesFreed: number;
  /** Uploads rows deleted with their files (their ids answer 404 afterwards). */
  uploadsExpired: number;
  ms: number;
}

/** What a pass would do now, changing nothing. */
export interface GcDryRunReport {
  cacheEntriesExpired: number;
  /** Marked earlier, past the grace period, still unreferenced: the next pass deletes these. */
  dueForDeletion: { count: number; bytes: number };
  /** Unreferenced and expired (counting expired cache entries as gone): marked by the next pass, deleted one grace period later. */
  candidates: { count: number; bytes: number; sample: Array<{ hash: string; bytes: number; writtenAt: Date }> };
}

/** The advisory lock that lets one process at a time collect ('sfgc' as an int). */
const GC_LOCK = 0x73666763;
/**
 * How long a deleted hash is remembered: longer than any node execution (claimArtifacts), and long
 * enough that a replay of an old run learns which of its parent's outputs were collected.
 */
const TOMBSTONE_DAYS = 30;
/** Parallel deletions in the store per batch (a remote store is a request per file). */
const DELETE_CONCURRENCY = 8;

/**
 * Mark and sweep from PostgreSQL. A pass (1) deletes expired cache entries, so their artifacts are
 * no longer live; (2) sweeps: locks hashes marked at least a grace period ago, keeps those something
 * references again, deletes the rest from the store and then their rows, and leaves tombstones; (3)
 * marks hashes that are unreferenced (live-set.ts) and whose newest record is older than the grace
 * period. A use of a hash removes its mark (claimArtifacts) and waits for a sweep holding it.
 * Files the database never recorded (a failed upload's) are out of its sight.
 */
export class ArtifactCollector {
  constructor(
    private readonly pool: Pool,
    private readonly store: ArtifactStore,
    private readonly policy: RetentionPolicy,
  ) {}

  private get params(): [number, number, number] {
    return [this.policy.intermediateDays, this.policy.uploadDays, this.policy.deliveryDays];
  }

  /** One pass, unless another process is in one (then null). */
  async collect(): Promise<GcPassReport | null> {
    const lock = await this.pool.connect();
    try {
      const got = await lock.query(`SELECT pg_try_advisory_lock($1) AS ok`, [GC_LOCK]);
      if (!got.rows[0].ok) return null;
      try {
        return await this.pass();
      } finally {
        await lock.query(`SELECT pg_advisory_unlock($1)`, [GC_LOCK]);
      }
    } finally {
      lock.release();
    }
  }

  private async pass(): Promise<GcPassReport> {
    const startedAt = new Date();
    const t0 = performance.now();
    const expired = await this.pool.query(
      `DELETE FROM node_cache WHERE (tenant_id, cache_key) IN (
         SELECT tenant_id, cache_key FROM node_cache WHERE used_at < now() - $1 * interval '1 day' LIMIT $2)`,
      [this.policy.intermediateDays, this.policy.batchSize],
    );
    const sweep = await this.sweep();
    const marked = await this.mark();
    await this.pool.query(`DELETE FROM artifact_tombstones WHERE deleted_at < now() - $1 * interval '1 day'`, [TOMBSTONE_DAYS]);
    const report: GcPassReport = { startedAt, cacheEntriesExpired: expired.rowCount ?? 0, marked, ...sweep, ms: Math.round(performance.now() - t0) };
    await this.pool.query(
      `INSERT INTO artifact_gc_passes (started_at, cache_entries_expired, uploads_expired, marked, kept, deleted, bytes_freed)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [startedAt, report.cacheEntriesExpired, report.uploadsExpired, report.marked, report.kept, report.deleted, report.bytesFreed],
    );
    return report;
  }

  /** Deletes marked hashes past the grace period that nothing references, in one transaction holding their marks. */
  private async sweep(): Promise<Pick<GcPassReport, 'kept' | 'deleted' | 'bytesFreed' | 'uploadsExpired'>> {
    return this.transaction(async (c) => {
      const due = await c.query(
        `SELECT hash, bytes FROM artifact_sweeps WHERE marked_at <= now() - $1 * interval '1 millisecond'
         ORDER BY marked_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.policy.graceMs, this.policy.batchSize],
      );
      if (due.rowCount === 0) return { kept: 0, deleted: 0, bytesFreed: 0, uploadsExpired: 0 };
      const hashes = due.rows.map((r) => r.hash as string);
      // Read after the marks are locked: a use that committed before sees its reference counted here.
      const live = await c.query(`WITH ${liveSetCte()} SELECT DISTINCT h FROM live WHERE h = ANY($4::text[])`, [...this.params, hashes]);
      const keep = new Set(live.rows.map((r) => r.h as string));
      const doomed = due.rows.filter((r) => !keep.has(r.hash));
      const doomedHashes = doomed.map((r) => r.hash as string);
      await pool(doomedHashes, DELETE_CONCURRENCY, (hash) => this.store.delete(hash));
      await c.query(`DELETE FROM artifacts WHERE hash = ANY($1::bpchar[])`, [doomedHashes]);
      const uploads = await c.query(`DELETE FROM uploads WHERE hash = ANY($1::bpchar[])`, [doomedHashes]);
      await c.query(`INSERT INTO artifact_tombstones (hash) SELECT unnest($1::bpchar[])`, [doomedHashes]);
      await c.query(`DELETE FROM artifact_sweeps WHERE hash = ANY($1::bpchar[])`, [hashes]);
      return {
        kept: keep.size,
        deleted: doomed.length,
        bytesFreed: doomed.reduce((sum, r) => sum + Number(r.bytes), 0),
        uploadsExpired: uploads.rowCount ?? 0,
      };
    });
  }

  /** Marks unreferenced hashes whose newest record is older than the grace period. */
  private async mark(): Promise<number> {
    const res = await this.pool.query(
      `WITH ${liveSetCte()}, ${CANDIDATES}
       INSERT INTO artifact_sweeps (hash, bytes)
       SELECT hash, bytes FROM candidates
       WHERE newest < now() - $4 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM artifact_sweeps s WHERE s.hash = candidates.hash)
       ORDER BY newest LIMIT $5
       ON CONFLICT DO NOTHING`,
      [...this.params, this.policy.graceMs, this.policy.batchSize],
    );
    return res.rowCount ?? 0;
  }

  /** What a pass would do now; changes nothing. */
  async dryRun(sampleSize = 50): Promise<GcDryRunReport> {
    const cache = await this.pool.query(`SELECT count(*)::int AS n FROM node_cache WHERE used_at < now() - $1 * interval '1 day'`, [this.policy.intermediateDays]);
    const due = await this.pool.query(
      `WITH ${liveSetCte()}
       SELECT count(*)::int AS n, coalesce(sum(bytes), 0)::float8 AS bytes FROM artifact_sweeps s
       WHERE marked_at <= now() - $4 * interval '1 millisecond' AND NOT EXISTS (SELECT 1 FROM live WHERE h = s.hash)`,
      [...this.params, this.policy.graceMs],
    );
    const candidates = await this.pool.query(
      `WITH ${liveSetCte({ expiredCacheIsDead: true })}, ${CANDIDATES}
       SELECT hash, bytes::float8 AS bytes, newest FROM candidates
       WHERE newest < now() - $4 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM artifact_sweeps s WHERE s.hash = candidates.hash)
       ORDER BY newest`,
      [...this.params, this.policy.graceMs],
    );
    return {
      cacheEntriesExpired: cache.rows[0].n,
      dueForDeletion: { count: due.rows[0].n, bytes: due.rows[0].bytes },
      candidates: {
        count: candidates.rowCount ?? 0,
        bytes: candidates.rows.reduce((sum, r) => sum + r.bytes, 0),
        sample: candidates.rows.slice(0, sampleSize).map((r) => ({ hash: r.hash, bytes: r.bytes, writtenAt: r.newest })),
      },
    };
  }

  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }
}

/**
 * Every hash the database knows (artifacts rows, uploads, batch items' photos) with its size and the
 * time of its newest record, that is not live. Needs the `live` CTE.
 */
const CANDIDATES = `
  known AS (
    SELECT hash::text AS hash, bytes, created_at FROM artifacts
    UNION ALL SELECT hash::text, bytes, created_at FROM uploads
    UNION ALL SELECT b.upload->>'hash', (b.upload->>'bytes')::bigint, bb.created_at
      FROM batch_items b JOIN batches bb ON bb.id = b.batch_id WHERE b.upload->>'hash' IS NOT NULL
  ),
  candidates AS (
    SELECT k.hash, max(k.bytes) AS bytes, max(k.created_at) AS newest FROM known k
    WHERE NOT EXISTS (SELECT 1 FROM live WHERE live.h = k.hash)
    GROUP BY k.hash
    -- Already deleted, and not recorded again since (a batch item keeps naming its photo).
    HAVING NOT EXISTS (SELECT 1 FROM artifact_tombstones t WHERE t.hash = k.hash AND t.deleted_at >= max(k.created_at))
  )`;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}
