import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The review console's audit trail: one row per decision on a parked review node. A parked attempt
 * is (run, node, generation): the unique key lets exactly one of two racing reviewers decide it.
 */
export class ReviewDecisions1796300200000 implements MigrationInterface {
  name = 'ReviewDecisions1796300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE review_decisions (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id text NOT NULL,
        generation integer NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approve', 'reject', 'retry')),
        reason text,
        actor_user_id uuid NOT NULL REFERENCES users(id),
        actor_email text,
        actor_role text NOT NULL,
        rerun_from text,
        params_before jsonb,
        params_after jsonb,
        decided_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, node_id, generation)
      )`);
    await q.query(`CREATE INDEX review_decisions_tenant ON review_decisions (tenant_id, decided_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS review_decisions`);
  }
}
