import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The self-serve REST API (issue 13):
 * - `runs.idempotency_fingerprint`: a hash of what the first request with an Idempotency-Key asked
 *   for, so a repeat with another body is refused (409) instead of answered with the first run.
 * - `uploads`: photos received by POST /api/v1/uploads, stored in the artifact store, that a later
 *   shoot names by id instead of sending the file again.
 * - outgoing webhooks: `webhook_endpoints` (a tenant's receivers, with their signing secret),
 *   `webhook_messages` (one event for one endpoint: its `webhook-id`, payload and delivery state),
 *   `webhook_attempts` (each HTTP attempt: status code, duration, error). The incoming Replicate
 *   dedupe table is `webhook_deliveries`; these are separate.
 */
export class PublicApi1796300400000 implements MigrationInterface {
  name = 'PublicApi1796300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN idempotency_fingerprint text`);
    // Cursor pagination walks (created_at, id) newest first.
    await q.query(`CREATE INDEX runs_tenant_created ON runs (tenant_id, created_at DESC, id DESC)`);
    // The webhook sweep finds runs that ended recently.
    await q.query(`CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE uploads (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid,
        hash char(64) NOT NULL,
        mime text NOT NULL,
        bytes bigint NOT NULL,
        width int NOT NULL,
        height int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid,
        url text NOT NULL,
        description text,
        event_types text[] NOT NULL,
        secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE webhook_messages (
        id uuid PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id),
        tenant_id uuid NOT NULL,
        event_type text NOT NULL,
        run_id uuid NOT NULL,
        payload jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, run_id, event_type)
      )`);
    await q.query(`CREATE INDEX webhook_messages_pending ON webhook_messages (next_attempt_at) WHERE state = 'pending'`);
    await q.query(`
      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        message_id uuid NOT NULL REFERENCES webhook_messages(id),
        attempt int NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        status_code int,
        error text
      )`);
    await q.query(`CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_attempts`);
    await q.query(`DROP TABLE IF EXISTS webhook_messages`);
    await q.query(`DROP TABLE IF EXISTS webhook_endpoints`);
    await q.query(`DROP TABLE IF EXISTS uploads`);
    await q.query(`DROP INDEX IF EXISTS runs_finished`);
    await q.query(`DROP INDEX IF EXISTS runs_tenant_created`);
    await q.query(`ALTER TABLE runs DROP COLUMN IF EXISTS idempotency_fingerprint`);
  }
}
