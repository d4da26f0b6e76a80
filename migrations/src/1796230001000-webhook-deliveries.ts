import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook deliveries already accepted, by the provider's delivery id: a replayed delivery (same id)
 * inserts nothing and is ignored. Rows older than the signature's tolerance guard nothing (such a
 * replay fails on its timestamp), so the receiver prunes them by received_at.
 */
export class WebhookDeliveries1796230001000 implements MigrationInterface {
  name = 'WebhookDeliveries1796230001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_deliveries (
        provider text NOT NULL,
        delivery_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, delivery_id)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
  }
}
