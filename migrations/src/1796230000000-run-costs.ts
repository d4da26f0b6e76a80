import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What running a shoot cost us (issue 11 §7): each node run's cost with its parts (cloud, GPU,
 * storage), and the run's total: every execution of its nodes, re-runs included.
 */
export class RunCosts1796230000000 implements MigrationInterface {
  name = 'RunCosts1796230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE node_runs ADD COLUMN cost_usd numeric(14, 6), ADD COLUMN cost_parts jsonb`);
    await q.query(`ALTER TABLE runs ADD COLUMN cost_usd numeric(14, 6) NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN IF EXISTS cost_usd`);
    await q.query(`ALTER TABLE node_runs DROP COLUMN IF EXISTS cost_usd, DROP COLUMN IF EXISTS cost_parts`);
  }
}
