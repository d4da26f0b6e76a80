import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook deliveries already accepted, by the provider's delivery id: a replayed delivery (same id)
 * inserts nothing and is ignored. Old rows may be pruned after the signature's tolerance has passed.
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
  }
}
