import type { Redis } from 'ioredis';
import type { ReviewEventMap } from '@studioflow/runtime/graph';

/** Review events between API processes: a decision taken on one reaches the consoles connected to any. */
export function reviewEventsChannel(prefix: string): string {
  return `${prefix}:reviews`;
}

/** What travels on the channel: the event, and the tenant whose reviewers' room it goes to. */
export type ReviewEventMessage = { [K in keyof ReviewEventMap]: { type: K; tenantId: string; event: ReviewEventMap[K] } }[keyof ReviewEventMap];

/** The Socket.IO room of a tenant's reviewers and staff. */
export function reviewsRoom(tenantId: string): string {
  return `reviews:${tenantId}`;
}

/** Fire and forget: the console also re-fetches on a timer, so a lost event only delays an update. */
export function publishReviewEvent<K extends keyof ReviewEventMap>(redis: Redis, prefix: string, tenantId: string, type: K, event: ReviewEventMap[K]): void {
  const message = { type, tenantId, event } as ReviewEventMessage;
  redis.publish(reviewEventsChannel(prefix), JSON.stringify(message)).catch(() => undefined);
}
