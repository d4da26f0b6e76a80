export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJobData {
  messageId: string;
  /** A manual re-send: deliver even if it was delivered before. */
  resend?: boolean;
}

/** The wait before retry `attempt` (1 = the first retry): BullMQ's exponential backoff, doubling from the configured delay. */
export function webhookRetryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}

/** The `webhook-id` of a message: the same on every attempt and re-send, so a receiver can drop repeats. */
export function webhookIdOf(messageId: string): string {
  return `msg_${messageId.replace(/-/g, '')}`;
}
