import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Principal } from '../auth/access-policy';
import { isUuid, quote } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';
import { newWebhookSecret } from './signing';
import { webhookUrlProblem } from './target-url';
import { WebhookDispatcher } from './webhook-dispatcher';
import type { CreateWebhookBody } from './webhooks.schemas';

const ENDPOINT_COLUMNS = `id, url, event_types AS "eventTypes", description, CASE WHEN user_id IS NULL THEN 'tenant' ELSE 'own' END AS scope, created_at AS "createdAt"`;

/**
 * A tenant's webhook endpoints (staff: the tenant's, for every shoot; a seller: their own, for
 * their own shoots), the log of what was sent to each, and manual re-sends.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  async create(p: Principal, body: CreateWebhookBody) {
    const problem = webhookUrlProblem(body.url, this.config.webhooks.allowLoopback);
    if (problem) throw new UnprocessableEntityException(`url ${problem}`);
    const secret = newWebhookSecret();
    const { rows } = await this.pool.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, user_id, url, description, event_types, secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ENDPOINT_COLUMNS}`,
      [randomUUID(), p.tenantId, p.role === 'end_user' ? p.userId : null, body.url, body.description ?? null, [...new Set(body.eventTypes)], secret],
    );
    return { ...rows[0], secret };
  }

  async list(p: Principal) {
    const [where, args] = this.scope(p);
    const { rows } = await this.pool.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ${where} ORDER BY created_at DESC`, args);
    return rows;
  }

  /** Stops deliveries to the endpoint; its log stays readable until then (404 after). */
  async remove(p: Principal, id: string) {
    await this.visibleEndpoint(p, id);
    await this.pool.query(`UPDATE webhook_endpoints SET deleted_at = now() WHERE id = $1`, [id]);
    await this.pool.query(`UPDATE webhook_messages SET state = 'failed', next_attempt_at = NULL WHERE endpoint_id = $1 AND state = 'pending'`, [id]);
    return { id, deleted: true };
  }

  /** The newest deliveries to an endpoint, each with its attempts (status code, duration, error) and next retry. */
  async deliveries(p: Principal, endpointId: string, limit = 50) {
    await this.visibleEndpoint(p, endpointId);
    const { rows } = await this.pool.query(
      `SELECT m.id, 'msg_' || replace(m.id::text, '-', '') AS "webhookId", m.event_type AS "eventType", m.run_id AS "runId", m.state,
              m.next_attempt_at AS "nextAttemptAt", m.delivered_at AS "deliveredAt", m.created_at AS "createdAt",
              coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt, 'startedAt', a.started_at, 'durationMs', a.duration_ms,
                                                             'statusCode', a.status_code, 'error', a.error) ORDER BY a.id)
                        FROM webhook_attempts a WHERE a.message_id = m.id), '[]'::jsonb) AS attempts
       FROM webhook_messages m WHERE m.endpoint_id = $1 ORDER BY m.created_at DESC, m.id LIMIT $2`,
      [endpointId, limit],
    );
    return rows;
  }

  /** Sends a delivery again now, with the same webhook-id (a receiver that has it already may ignore it). */
  async resend(p: Principal, endpointId: string, deliveryId: string) {
    await this.visibleEndpoint(p, endpointId);
    const { rowCount } = await this.pool.query(
      `UPDATE webhook_messages SET state = 'pending', next_attempt_at = now() WHERE id = $1 AND endpoint_id = $2`,
      [isUuid(deliveryId) ? deliveryId : null, endpointId],
    );
    if (!rowCount) throw new NotFoundException(`delivery ${quote(deliveryId)} not found`);
    await this.dispatcher.enqueue([deliveryId], { resend: true });
    return { id: deliveryId, resent: true };
  }

  private scope(p: Principal): [string, unknown[]] {
    return p.role === 'end_user'
      ? ['tenant_id = $1 AND user_id = $2 AND deleted_at IS NULL', [p.tenantId, p.userId]]
      : ['tenant_id = $1 AND deleted_at IS NULL', [p.tenantId]];
  }

  private async visibleEndpoint(p: Principal, id: string): Promise<void> {
    const [where, args] = this.scope(p);
    const found = isUuid(id) ? (await this.pool.query(`SELECT 1 FROM webhook_endpoints WHERE id = $${args.length + 1} AND ${where}`, [...args, id])).rowCount : 0;
    if (!found) throw new NotFoundException(`webhook endpoint ${quote(id)} not found`);
  }
}
