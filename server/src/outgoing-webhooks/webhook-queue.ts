import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJobData {
  messageId: string;
  /** A manual re-send: deliver even if it was delivered before. */
  resend?: boolean;
}

/** The queue of webhook deliveries: one job per message, its id the message id (re-adding is a no-op). */
export function webhookQueue(connection: Redis, prefix: string): Queue<WebhookJobData> {
  return new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection, prefix });
}

/** The `webhook-id` of a message: the same on every attempt and re-send, so a receiver can drop repeats. */
export function webhookIdOf(messageId: string): string {
  return `msg_${messageId.replace(/-/g, '')}`;
}
