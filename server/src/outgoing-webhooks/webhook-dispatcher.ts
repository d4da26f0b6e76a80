import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { eventsChannel, parseBatch } from '@studioflow/runtime/bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL, REDIS } from '../db/infra.module';
import { WEBHOOK_QUEUE, type WebhookJobData } from './webhook-queue';

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
 * exponential backoff and delivered by WebhookDelivery.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('webhooks');
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  private lastSweepStart?: Date;
  private sweeping?: Promise<void>;
  private sweepAgain = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue<WebhookJobData>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.on('error', (err) => this.log.warn(`Redis error (webhook queue): ${err.message}`));
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

  /** Before the shared Redis and pool close (InfraModule, at application shutdown); BullModule closes the queue. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
    await this.sweeping?.catch(() => undefined);
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
          // One job per message at a time, a re-send too: a re-send marks the message pending, and a sweep
          // in that moment would otherwise add a second job and deliver it twice. Jobs are removed when
          // they end, so the id is free again for the next re-send.
          jobId: messageId,
          attempts: this.config.webhooks.attempts,
          backoff: { type: 'exponential', delay: this.config.webhooks.backoffMs },
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  }

  private backoffMs(attemptsMade: number): number {
    return this.config.webhooks.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
  }
}
