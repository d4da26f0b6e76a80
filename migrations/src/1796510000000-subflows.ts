import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subflows: reusable groups of nodes per tenant, each with immutable numbered versions (the inner
 * graph, its ports from the cut edges and its exposed params, as one runtime SubflowDefinition).
 */
export class Subflows1796510000000 implements MigrationInterface {
  name = 'Subflows1796510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subflows (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX subflows_tenant ON subflows (tenant_id, updated_at DESC)`);
    await q.query(`
      CREATE TABLE subflow_versions (
        subflow_id uuid NOT NULL REFERENCES subflows(id) ON DELETE CASCADE,
        version int NOT NULL,
        tenant_id uuid NOT NULL,
        definition jsonb NOT NULL,
        message text NOT NULL DEFAULT '',
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subflow_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS subflow_versions`);
    await q.query(`DROP TABLE IF EXISTS subflows`);
  }
}
