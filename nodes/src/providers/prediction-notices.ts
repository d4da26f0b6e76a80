import IORedis, { type Redis } from 'ioredis';
import type { Prediction } from 'replicate';

/**
 * Finished predictions Replicate announced by webhook: the API verifies each delivery and publishes
 * it here, and a provider waiting on that prediction stops polling. Polling stays the fallback: a
 * delivery that arrives before the subscription, or never, only costs the wait until the next poll.
 */
export interface PredictionNotices {
  /** Calls `listener` with each announced state of prediction `id` until the returned function is called. */
  subscribe(id: string, listener: (prediction: Prediction) => void): () => void;
}

/** The Redis channel of announced predictions, under the install's queue prefix. */
export function predictionsChannel(prefix: string): string {
  return `${prefix}:replicate:predictions`;
}

/** What the API publishes for one verified delivery. */
export function publishPrediction(redis: Pick<Redis, 'publish'>, prefix: string, prediction: Prediction): Promise<number> {
  return redis.publish(predictionsChannel(prefix), JSON.stringify(prediction));
}

/** Notices over one Redis subscriber connection per process, opened at the first subscription. */
export class RedisPredictionNotices implements PredictionNotices {
  private subscriber: Redis | undefined;
  private readonly listeners = new Map<string, Set<(prediction: Prediction) => void>>();

  constructor(private readonly redisUrl: string, private readonly prefix: string, private readonly onError: (err: Error) => void = () => undefined) {}

  subscribe(id: string, listener: (prediction: Prediction) => void): () => void {
    this.connect();
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** Resolves once the subscription is in place (tests wait for it; predictions do not need to). */
  async ready(): Promise<void> {
    this.connect();
    await this.subscribing;
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private subscribing: Promise<unknown> | undefined;

  private connect(): void {
    if (this.subscriber) return;
    const subscriber = new IORedis(this.redisUrl, { maxRetriesPerRequest: null });
    // ioredis reconnects (and re-subscribes) by itself; meanwhile polling carries the waits.
    subscriber.on('error', (err: Error) => this.onError(err));
    subscriber.on('message', (_channel: string, message: string) => {
      let prediction: Prediction;
      try {
        prediction = JSON.parse(message) as Prediction;
      } catch {
        return;
      }
      for (const listener of this.listeners.get(prediction?.id) ?? []) listener(prediction);
    });
    this.subscribing = subscriber.subscribe(predictionsChannel(this.prefix)).catch((err: Error) => this.onError(err));
    this.subscriber = subscriber;
  }
}
