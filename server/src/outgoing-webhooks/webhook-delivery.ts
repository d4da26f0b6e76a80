import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Pool } from 'pg';
import { inTransaction } from '@studioflow/runtime/store';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';
import { webhookHeaders } from './signing';
import { webhookUrlProblem } from './target-url';
import { WEBHOOK_QUEUE, webhookIdOf, webhookRetryDelayMs, type WebhookJobData } from './webhook-queue';

/**
 * Delivers webhook messages, one BullMQ job each, in every API process (BullMQ hands each job to one of
 * them). Every attempt is logged, and the `webhook-id` never changes, so the receiver can count each
 * event once however many attempts it saw.
 */
@Processor(WEBHOOK_QUEUE, { concurrency: 8 })
export class WebhookDelivery extends WorkerHost implements OnModuleDestroy {
  private readonly log = new Logger('webhooks');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {
    super();
  }

  /** A lost Redis connection: ioredis reconnects by itself (an unheard 'error' would end the process). */
  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.log.warn(`webhook worker error: ${err.message}`);
  }

  /** Active deliveries finish before the shared Redis and pool close (InfraModule, at application shutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.worker.close().catch(() => undefined);
  }

  /** One attempt: POST the signed payload; a 2xx delivers, anything else (or a timeout) throws for a retry. */
  async process(job: Job<WebhookJobData>): Promise<void> {
    const { rows } = await this.pool.query(
      `SELECT m.id, m.state, m.payload, e.url, e.secret, e.deleted_at
       FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id WHERE m.id = $1`,
      [job.data.messageId],
    );
    const message = rows[0];
    if (!message || message.deleted_at) return;
    if (message.state === 'delivered' && !job.data.resend) return;
    // Checked again at send time: the configuration may have changed since the endpoint was made.
    const problem = webhookUrlProblem(message.url, this.config.webhooks.allowLoopback);
    if (problem) {
      await this.record(message.id, new Date(), 0, null, `refused: url ${problem}`);
      throw new UnrecoverableError(`url ${problem}`);
    }
    const body = JSON.stringify(message.payload);
    const startedAt = new Date();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(message.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Studioflow-Webhooks/1', ...webhookHeaders(message.secret, webhookIdOf(message.id), body) },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      status = res.status;
      // Only the status counts; the receiver's answer body is not read.
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status >= 300) error = `answered ${status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.config.webhooks.timeoutMs} ms` : `request failed: ${(err as Error).message}`;
    }
    const durationMs = Date.now() - startedAt.getTime();
    if (error === null) {
      await this.record(message.id, startedAt, durationMs, status, null, { delivered: true });
      return;
    }
    const retryAt = job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? new Date(Date.now() + webhookRetryDelayMs(this.config.webhooks.backoffMs, job.attemptsMade + 1)) : null;
    await this.record(message.id, startedAt, durationMs, status, error, { retryAt });
    throw new Error(error);
  }

  /** Logs one attempt and moves the message on: delivered, or pending until `retryAt`. */
  private async record(
    messageId: string,
    startedAt: Date,
    durationMs: number,
    status: number | null,
    error: string | null,
    o: { delivered?: boolean; retryAt?: Date | null } = {},
  ): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE webhook_messages SET attempts = attempts + 1,
           state = CASE WHEN $2 THEN 'delivered' ELSE state END,
           delivered_at = CASE WHEN $2 THEN now() ELSE delivered_at END,
           next_attempt_at = CASE WHEN $2 THEN NULL ELSE $3::timestamptz END
         WHERE id = $1 RETURNING attempts`,
        [messageId, o.delivered === true, o.retryAt ?? null],
      );
      await client.query(
        `INSERT INTO webhook_attempts (message_id, attempt, started_at, duration_ms, status_code, error) VALUES ($1, $2, $3, $4, $5, $6)`,
        [messageId, rows[0]?.attempts ?? 1, startedAt, durationMs, status, error],
      );
    });
  }

  /** After the last attempt failed, the message is given up on (a manual re-send can still deliver it). */
  @OnWorkerEvent('failed')
  async afterFailure(job: Job<WebhookJobData> | undefined, err: Error): Promise<void> {
    if (!job) return;
    const exhausted = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!exhausted) return;
    await this.pool
      .query(`UPDATE webhook_messages SET state = 'failed', next_attempt_at = NULL WHERE id = $1 AND state = 'pending'`, [job.data.messageId])
      .catch((e: unknown) => this.log.warn(`could not mark webhook message failed: ${String(e)}`));
  }
}
