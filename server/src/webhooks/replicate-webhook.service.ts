import { BadRequestException, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import type { Prediction } from 'replicate';
import { publishPrediction, verifyReplicateWebhook } from '@studioflow/nodes';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL, REDIS } from '../db/infra.module';

export type WebhookOutcome = { accepted: true; predictionId: string } | { accepted: false; reason: 'replayed' };

/**
 * Replicate's webhooks: verified against the signing secret, deduplicated by delivery id in
 * PostgreSQL (every API process sees the same table), then published on Redis so the job waiting on
 * that prediction stops polling.
 */
@Injectable()
export class ReplicateWebhookService {
  private readonly log = new Logger('replicate-webhook');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): Promise<WebhookOutcome> {
    const secret = this.config.replicateWebhookSecret;
    if (!secret) throw new NotFoundException('Replicate webhooks are not configured (REPLICATE_WEBHOOK_SECRET)');
    // Forged, stale (more than five minutes off) and unsigned deliveries are all 401.
    const verdict = verifyReplicateWebhook(headers, rawBody, secret, Date.now());
    if (!verdict.ok) {
      this.log.warn(`refused a Replicate webhook: ${verdict.reason}`);
      throw new UnauthorizedException(verdict.reason);
    }
    const prediction = parsePrediction(rawBody);
    // Rows past the five-minute window guard nothing any more (with an hour's margin for clock skew).
    const inserted = await this.pool.query(
      `WITH pruned AS (DELETE FROM webhook_deliveries WHERE received_at < now() - interval '1 hour')
       INSERT INTO webhook_deliveries (provider, delivery_id) VALUES ('replicate', $1) ON CONFLICT DO NOTHING RETURNING delivery_id`,
      [verdict.id],
    );
    // A replay of an accepted delivery is answered 200 so Replicate stops retrying, and changes nothing.
    if (inserted.rowCount === 0) return { accepted: false, reason: 'replayed' };
    await publishPrediction(this.redis, this.config.queuePrefix, prediction);
    return { accepted: true, predictionId: prediction.id };
  }
}

function parsePrediction(rawBody: Buffer): Prediction {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new BadRequestException('the webhook body is not JSON');
  }
  const p = body as Partial<Prediction> | null;
  if (typeof p?.id !== 'string' || typeof p.status !== 'string') throw new BadRequestException('the webhook body is not a prediction (id and status)');
  return p as Prediction;
}
