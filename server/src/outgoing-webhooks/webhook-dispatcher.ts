import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { createRedis, eventsChannel, parseBatch } from '@studioflow/runtime/bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL, REDIS } from '../db/infra.module';
import { webhookHeaders } from './signing';
import { webhookUrlProblem } from './target-url';
import { WEBHOOK_QUEUE, webhookIdOf, webhookQueue, type WebhookJobData } from './webhook-queue';

/** How far back the first sweep after a start looks for ended shoots without their webhook messages. */
const FIRST_SWEEP_LOOKBACK = '1 day';
/** Later sweeps look back from the previous one by this much (a run's end commits before its notice). */
const SWEEP_OVERLAP_MS = 5 * 60_000;

/**
 * Turns ended shoots into webhook messages and delivers them.
 *
 * PostgreSQL is the outbox: a sweep inserts one message per (endpoint, shoot, event) for shoots that
 * ended since the endpoint was registered (`ON CONFLICT DO NOTHING`, so sweeps and API processes can
 * overlap), then enqueues every pending message. A sweep runs on every run-end notice from Redis, at
 * start and every `webhooks.sweepEveryMs`, so an event whose notice was missed (API down, Redis
 * restarted) is still sent. Each message is one BullMQ job (job id = message id), retried with
 * exponential backoff; every attempt is logged, and the `webhook-id` never changes, so the
 * receiver can count each event once however many attempts it saw.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('webhooks');
  private queue!: Queue<WebhookJobData>;
  private worker?: Worker<WebhookJobData>;
  private workerConnection?: Redis;
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  private lastSweepStart?: Date;
  private sweeping?: Promise<void>;
  private sweepAgain = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue = webhookQueue(this.redis, this.config.queuePrefix);
    this.queue.on('error', (err) => this.log.warn(`Redis error (webhook queue): ${err.message}`));
    const connection = createRedis({ url: this.config.redisUrl, prefix: this.config.queuePrefix });
    this.workerConnection = connection;
    connection.on('error', (err: Error) => this.log.warn(`Redis error (webhook worker): ${err.message}`));
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, (job) => this.deliver(job), {
      connection,
      prefix: this.config.queuePrefix,
      concurrency: 8,
      settings: { backoffStrategy: (attemptsMade) => this.backoffMs(attemptsMade) },
    });
    this.worker.on('error', (err) => this.log.warn(`webhook worker error: ${err.message}`));
    this.worker.on('failed', (job, err) => void (job && this.afterFailure(job, err)));
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err: Error) => this.log.warn(`Redis error (webhook notices): ${err.message}`));
    await this.subscriber.subscribe(eventsChannel(this.config.queuePrefix));
    this.subscriber.on('message', (_channel, message) => {
      const ended = parseBatch<{ type: string }>(message).some((n) => n.type === 'run.completed' || n.type === 'run.failed');
      if (ended) this.requestSweep();
    });
    this.timer = setInterval(() => this.requestSweep(), this.config.webhooks.sweepEveryMs);
    this.timer.unref();
    this.requestSweep();
  }

  /** Before the shared Redis and pool close (InfraModule, at application shutdown). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    await this.sweeping?.catch(() => undefined);
    await this.worker?.close().catch(() => undefined);
    // BullMQ leaves a connection it was given open.
    this.workerConnection?.disconnect();
    await this.queue?.close().catch(() => undefined);
  }

  /** Sweeps soon; a request during a sweep runs one more after it (coalesced, never two at once). */
  requestSweep(): void {
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = this.sweep()
      .catch((err: unknown) => this.log.warn(`webhook sweep failed; the next one retries: ${String(err)}`))
      .finally(() => {
        this.sweeping = undefined;
        if (this.sweepAgain) {
          this.sweepAgain = false;
          this.requestSweep();
        }
      });
  }

  /** One sweep: messages for shoots that ended, then every pending message (re)enqueued. Resolves when done. */
  async sweep(): Promise<void> {
    const startedAt = new Date();
    const since = this.lastSweepStart ? new Date(this.lastSweepStart.getTime() - SWEEP_OVERLAP_MS) : null;
    await this.pool.query(
      `INSERT INTO webhook_messages (id, endpoint_id, tenant_id, event_type, run_id, payload, next_attempt_at)
       SELECT gen_random_uuid(), e.id, e.tenant_id, ev.type, r.id,
              jsonb_build_object('type', ev.type, 'timestamp', now(),
                'data', jsonb_build_object('id', r.id, 'runId', r.id, 'status', r.status, 'templateId', r.template_id,
                                           'error', r.error, 'finishedAt', r.finished_at)),
              now()
       FROM runs r
       CROSS JOIN LATERAL (SELECT CASE r.status WHEN 'completed' THEN 'shoot.completed' ELSE 'shoot.failed' END AS type) ev
       JOIN webhook_endpoints e ON e.tenant_id = r.tenant_id AND e.deleted_at IS NULL
                                AND (e.user_id IS NULL OR e.user_id = r.user_id) AND ev.type = ANY (e.event_types)
       WHERE r.finished_at IS NOT NULL AND r.finished_at >= coalesce($1::timestamptz, now() - interval '${FIRST_SWEEP_LOOKBACK}')
         AND r.finished_at >= e.created_at AND r.kind = 'shoot' AND r.status IN ('completed', 'failed')
       ON CONFLICT (endpoint_id, run_id, event_type) DO NOTHING`,
      [since],
    );
    const { rows } = await this.pool.query(`SELECT id FROM webhook_messages WHERE state = 'pending' AND next_attempt_at <= now() LIMIT 5000`);
    await this.enqueue(rows.map((r) => r.id as string));
    this.lastSweepStart = startedAt;
  }

  /** Adds delivery jobs; a message whose job is queued, delayed or running already is not added twice. */
  async enqueue(messageIds: string[], o: { resend?: boolean } = {}): Promise<void> {
    if (messageIds.length === 0) return;
    await this.queue.addBulk(
      messageIds.map((messageId) => ({
        name: 'deliver',
        data: { messageId, ...(o.resend ? { resend: true } : {}) },
        opts: {
          // A re-send is its own job: the message's first job may still be kept as failed.
          jobId: o.resend ? `${messageId}-resend-${Date.now()}` : messageId,
          attempts: this.config.webhooks.attempts,
          backoff: { type: 'custom' },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  private backoffMs(attemptsMade: number): number {
    return this.config.webhooks.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
  }

  /** One attempt: POST the signed payload; a 2xx delivers, anything else (or a timeout) throws for a retry. */
  private async deliver(job: Job<WebhookJobData>): Promise<void> {
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
    const retryAt = job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? new Date(Date.now() + this.backoffMs(job.attemptsMade + 1)) : null;
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
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
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
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** After the last attempt failed, the message is given up on (a manual re-send can still deliver it). */
  private async afterFailure(job: Job<WebhookJobData>, err: Error): Promise<void> {
    const exhausted = err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!exhausted) return;
    await this.pool
      .query(`UPDATE webhook_messages SET state = 'failed', next_attempt_at = NULL WHERE id = $1 AND state = 'pending'`, [job.data.messageId])
      .catch((e: unknown) => this.log.warn(`could not mark webhook message failed: ${String(e)}`));
  }
}
