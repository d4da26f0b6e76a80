import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch catalogs: a batch is one upload of many product photos for one template; each item becomes a
 * shoot (a run) when the admitter admits it. `run_id` is chosen when the item is recorded (and anew
 * for a retry), so admitting an item twice would insert the same run id twice, which the runs table
 * refuses: no item is ever charged or run twice. Items are charged as they are admitted, so a waiting
 * item costs nothing and cancelling it refunds nothing; a run's own refund covers the rest. A retried
 * item gets a new run id; the runs it had before are kept in earlier_run_ids (their ledger entries).
 *
 * `runs.queue_priority`: the BullMQ priority of the run's jobs (fair shares across tenants).
 */
export class Batches1796300300000 implements MigrationInterface {
  name = 'Batches1796300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE batches (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid REFERENCES users(id),
        template_id uuid NOT NULL REFERENCES templates(id),
        graph_version_id uuid NOT NULL REFERENCES graph_versions(id),
        price_credits int NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
        item_count int NOT NULL,
        idempotency_key text,
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX batches_idempotency_key ON batches (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX batches_tenant ON batches (tenant_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE batch_items (
        batch_id uuid NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
        ordinal int NOT NULL,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        title text,
        params jsonb NOT NULL DEFAULT '{}',
        upload jsonb NOT NULL,
        state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'admitted', 'cancelled', 'rejected')),
        run_id uuid NOT NULL UNIQUE,
        earlier_run_ids uuid[] NOT NULL DEFAULT '{}',
        attempts int NOT NULL DEFAULT 1,
        error text,
        admitted_at timestamptz,
        PRIMARY KEY (batch_id, ordinal)
      )`);
    await q.query(`CREATE INDEX batch_items_waiting ON batch_items (tenant_id, batch_id, ordinal) WHERE state = 'waiting'`);
    await q.query(`ALTER TABLE runs ADD COLUMN queue_priority int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN IF EXISTS queue_priority`);
    await q.query(`DROP TABLE IF EXISTS batch_items`);
    await q.query(`DROP TABLE IF EXISTS batches`);
  }
}
