import type { Pool, PoolClient } from 'pg';

/** How far a worker's clock may be behind PostgreSQL's when its job start is compared to a deletion. */
const CLOCK_SLACK_MS = 30_000;

/**
 * Claims hashes a run is about to reference, inside the transaction that records the reference: their
 * marks are removed (waiting for a sweep that holds them), so the collector re-marks them only after
 * a whole grace period. Returns those deleted since `since` (a tombstone): a node that wrote such a
 * hash may have found the file still there, skipped writing it, and then lost it to the sweep.
 */
export async function claimArtifacts(c: PoolClient, hashes: readonly string[], since?: Date): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const unique = [...new Set(hashes)];
  await c.query(`DELETE FROM artifact_sweeps WHERE hash = ANY($1::bpchar[])`, [unique]);
  if (!since) return new Set();
  const gone = await c.query(
    `SELECT DISTINCT hash::text AS hash FROM artifact_tombstones WHERE hash = ANY($1::bpchar[]) AND deleted_at >= $2`,
    [unique, new Date(since.getTime() - CLOCK_SLACK_MS)],
  );
  return new Set(gone.rows.map((r) => r.hash as string));
}

/**
 * Of these hashes, those the collector deleted: a tombstone and no record since (the sweep deletes
 * the rows with the file; a new write records it again). Call after claimArtifacts in the same
 * transaction, so a sweep in progress has finished.
 */
export async function collectedArtifacts(c: PoolClient, hashes: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(hashes)];
  if (unique.length === 0) return new Set();
  const gone = await c.query(
    `SELECT DISTINCT t.hash::text AS hash FROM artifact_tombstones t WHERE t.hash = ANY($1::bpchar[])
       AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = t.hash)
       AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.hash = t.hash)`,
    [unique],
  );
  return new Set(gone.rows.map((r) => r.hash as string));
}

/**
 * Call before putting files whose hashes are known (uploads): removes their marks, after waiting for
 * a sweep that holds them. Then the file is either gone (the put writes it) or stays until the
 * collector marks it again and a grace period passes, while the caller records its reference.
 */
export async function claimBeforeStoring(db: Pick<Pool, 'query'>, hashes: readonly string[]): Promise<void> {
  if (hashes.length === 0) return;
  await db.query(`DELETE FROM artifact_sweeps WHERE hash = ANY($1::bpchar[])`, [[...new Set(hashes)]]);
}
