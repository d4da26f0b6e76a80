import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Draft runs and pinned test photos (issue 14, "Iterate without committing"):
 * - `draft_snapshots`: the exact document a draft run executed, keyed by its content hash (sha256 of
 *   canonical JSON) per graph, stored once however often the same canvas runs. A table of its own
 *   rather than hidden rows in `graph_versions`: versions stay what staff committed (numbered,
 *   publishable, listed), and no query that lists or publishes versions has to learn to skip drafts.
 * - `runs.draft_snapshot_id`: a run executes either a committed version or a draft snapshot, never
 *   both nor neither (checked), so `graph_version_id` becomes nullable.
 * - `runs.until_node_id`: "run to here": the node a run stopped at (its plan holds that node's ancestors only).
 * - `graphs.test_photo_upload_id`: the photo staff pinned to the graph (an upload; the retention's
 *   live set keeps it while it is pinned).
 */
export class DraftRuns1796500000000 implements MigrationInterface {
  name = 'DraftRuns1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE draft_snapshots (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        graph_id uuid NOT NULL REFERENCES graphs(id) ON DELETE CASCADE,
        hash char(64) NOT NULL,
        doc jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT draft_snapshots_graph_hash UNIQUE (graph_id, hash)
      )`);
    await q.query(`ALTER TABLE runs ALTER COLUMN graph_version_id DROP NOT NULL,
      ADD COLUMN draft_snapshot_id uuid REFERENCES draft_snapshots(id),
      ADD COLUMN until_node_id text,
      ADD CONSTRAINT runs_graph_source CHECK (num_nonnulls(graph_version_id, draft_snapshot_id) = 1)`);
    await q.query(`CREATE INDEX runs_draft_snapshot ON runs (draft_snapshot_id) WHERE draft_snapshot_id IS NOT NULL`);
    await q.query(`ALTER TABLE graphs ADD COLUMN test_photo_upload_id uuid REFERENCES uploads(id) ON DELETE SET NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE graphs DROP COLUMN test_photo_upload_id`);
    // Refused while draft runs exist: their history would lose what they ran.
    await q.query(`ALTER TABLE runs DROP CONSTRAINT runs_graph_source, DROP COLUMN draft_snapshot_id, DROP COLUMN until_node_id, ALTER COLUMN graph_version_id SET NOT NULL`);
    await q.query(`DROP TABLE draft_snapshots`);
  }
}
