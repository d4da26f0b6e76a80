import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A client may name a submission (`Idempotency-Key` on POST /api/shoots): resending it after a 503
 * or a lost answer returns the same run instead of charging again. Unique per tenant.
 */
export class RunIdempotencyKey1764690000000 implements MigrationInterface {
  name = 'RunIdempotencyKey1764690000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN idempotency_key text`);
    await q.query(`CREATE UNIQUE INDEX runs_idempotency_key ON runs (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX runs_idempotency_key`);
    await q.query(`ALTER TABLE runs DROP COLUMN idempotency_key`);
  }
}
