import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Templates have a lifecycle: staff repoint a template to another version of its graph, edit it,
 * change its visibility, unpublish and republish it. `revision` is the optimistic-concurrency counter
 * (every change names the revision it saw; a stale one answers 409), `unpublished_at` hides a template
 * from sellers while its shoots keep working, and `template_changes` is the changelog: who changed
 * what and when, with the version before and after.
 */
export class TemplateLifecycle1796520000000 implements MigrationInterface {
  name = 'TemplateLifecycle1796520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE templates
        ADD COLUMN revision int NOT NULL DEFAULT 1,
        ADD COLUMN published_by uuid REFERENCES users(id) ON DELETE SET NULL,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN unpublished_at timestamptz`);
    await q.query(`UPDATE templates SET updated_at = published_at`);
    await q.query(`
      CREATE TABLE template_changes (
        id bigserial PRIMARY KEY,
        template_id uuid NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        changed_by uuid REFERENCES users(id) ON DELETE SET NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL CHECK (action IN ('published', 'updated', 'unpublished', 'republished')),
        from_version int,
        to_version int,
        changes jsonb NOT NULL DEFAULT '{}'::jsonb,
        note text NOT NULL DEFAULT ''
      )`);
    await q.query(`CREATE INDEX template_changes_by_template ON template_changes (template_id, id)`);
    // Every existing template starts its changelog with its publication.
    await q.query(`
      INSERT INTO template_changes (template_id, tenant_id, changed_at, action, to_version, changes)
      SELECT t.id, t.tenant_id, t.published_at, 'published', v.version,
             jsonb_build_object('priceCredits', jsonb_build_object('to', t.price_credits), 'visibility', jsonb_build_object('to', t.visibility))
        FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS template_changes`);
    await q.query(`ALTER TABLE templates DROP COLUMN IF EXISTS revision, DROP COLUMN IF EXISTS published_by, DROP COLUMN IF EXISTS updated_at, DROP COLUMN IF EXISTS unpublished_at`);
  }
}
