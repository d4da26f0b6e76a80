import IORedis, { type Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { sleep, TokenBucket } from './replicate';

/** Prediction creates a provider may start: `take` resolves when one more fits the account's limit. */
export interface CreateBudget {
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * One create budget for every worker process of an install: Replicate limits creates per account, not
 * per process, so N workers each with their own bucket would ask for N times the limit (and collect 429s).
 * Counted in Redis per window of `durationS`. While Redis cannot answer, this process falls back to its own
 * bucket rather than stopping generation.
 */
export class RedisCreateBudget implements CreateBudget {
  private readonly limiter: RateLimiterRedis;
  private readonly fallback: TokenBucket;

  constructor(redis: Redis, prefix: string, limit: { points: number; durationS: number }) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:replicate-creates`, points: limit.points, duration: limit.durationS });
    this.fallback = new TokenBucket(limit.points, limit.points / (limit.durationS * 1000));
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.limiter.consume('account');
        return;
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) return this.fallback.take(signal);
        await sleep(Math.max(1, refusal.msBeforeNext), signal);
      }
    }
  }
}

let shared: ((perMinute: number) => CreateBudget) | undefined;

/**
 * Makes every Replicate provider of this process draw on the install's shared create budget in Redis
 * (worker processes call this at start; the CLI and tests keep a bucket per provider). Its own connection
 * queues nothing while Redis is away, so a create then falls back at once instead of waiting.
 */
export function shareReplicateCreates(redisUrl: string, prefix: string): void {
  const redis = new IORedis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  // ioredis reconnects by itself; an unheard 'error' would end the process.
  redis.on('error', () => undefined);
  shared = (perMinute) => new RedisCreateBudget(redis, prefix, { points: perMinute, durationS: 60 });
}

/** The create budget a new provider uses: the shared one when this process has it, else its own bucket. */
export function createBudgetFor(perMinute: number): CreateBudget {
  return shared?.(perMinute) ?? new TokenBucket(perMinute, perMinute / 60_000);
}
