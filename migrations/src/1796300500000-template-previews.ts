import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The preview image of a template's card: one run of the graph version on the bundled sample photo,
 * by version, so a template's new version gets its own preview. The image is the run's delivered
 * output (runs.outputs); `claimed_at` lets one starting API process claim the run of a version, and a
 * later start retry one whose run failed.
 */
export class TemplatePreviews1796300500000 implements MigrationInterface {
  name = 'TemplatePreviews1796300500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE template_previews (
        graph_version_id uuid PRIMARY KEY REFERENCES graph_versions(id) ON DELETE CASCADE,
        run_id uuid REFERENCES runs(id) ON DELETE SET NULL,
        claimed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS template_previews`);
  }
}
