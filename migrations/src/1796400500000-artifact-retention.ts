import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Artifact retention and garbage collection (issue 15):
 * - `tenants.upload_retention_days`, `tenants.delivery_retention_days`: a tenant's own retention of
 *   uploaded photos and delivered images; null takes the platform default (environment).
 * - `node_cache.used_at`: the last time an entry served a node, so an entry in use does not expire.
 * - `artifact_sweeps`: hashes the collector found unreferenced and expired; a later pass deletes them
 *   after a grace period unless something used them meanwhile (a use removes the row).
 * - `artifact_tombstones`: hashes deleted recently, so a node that finished after its output's file
 *   was deleted under it fails clearly instead of pointing at a missing file.
 * - `artifact_gc_passes`: what each pass of the collector did (counts, bytes), for logs and /metrics.
 */
export class ArtifactRetention1796400500000 implements MigrationInterface {
  name = 'ArtifactRetention1796400500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN upload_retention_days integer CHECK (upload_retention_days > 0),
      ADD COLUMN delivery_retention_days integer CHECK (delivery_retention_days > 0)`);
    await q.query(`ALTER TABLE node_cache ADD COLUMN used_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`CREATE INDEX node_cache_used_at ON node_cache (used_at)`);
    await q.query(`CREATE INDEX artifacts_hash ON artifacts (hash)`);
    await q.query(`CREATE INDEX uploads_hash ON uploads (hash)`);
    await q.query(`CREATE INDEX runs_created ON runs (created_at)`);
    await q.query(`
      CREATE TABLE artifact_sweeps (
        hash char(64) PRIMARY KEY,
        bytes bigint NOT NULL,
        marked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE artifact_tombstones (
        hash char(64) NOT NULL,
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX artifact_tombstones_hash ON artifact_tombstones (hash, deleted_at)`);
    await q.query(`
      CREATE TABLE artifact_gc_passes (
        id bigserial PRIMARY KEY,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        cache_entries_expired integer NOT NULL,
        uploads_expired integer NOT NULL,
        marked integer NOT NULL,
        kept integer NOT NULL,
        deleted integer NOT NULL,
        bytes_freed bigint NOT NULL,
        error text
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS artifact_gc_passes`);
    await q.query(`DROP TABLE IF EXISTS artifact_tombstones`);
    await q.query(`DROP TABLE IF EXISTS artifact_sweeps`);
    await q.query(`DROP INDEX IF EXISTS runs_created`);
    await q.query(`DROP INDEX IF EXISTS uploads_hash`);
    await q.query(`DROP INDEX IF EXISTS artifacts_hash`);
    await q.query(`ALTER TABLE node_cache DROP COLUMN IF EXISTS used_at`);
    await q.query(`ALTER TABLE tenants DROP COLUMN IF EXISTS delivery_retention_days, DROP COLUMN IF EXISTS upload_retention_days`);
  }
}
