import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a webhook may be: older ones are refused as possible replays. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

export type WebhookVerdict = { ok: true; id: string } | { ok: false; reason: string };

/** Webhook ids already accepted, kept for the tolerance window (a replay older than that fails on its timestamp). */
export class WebhookReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly ttlMs = WEBHOOK_TOLERANCE_MS) {}

  /** True the first time an id is offered within the window. */
  accept(id: string, now: number): boolean {
    for (const [key, at] of this.seen) {
      if (now - at <= this.ttlMs) break; // insertion order: the rest are newer
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}

/**
 * Checks a Replicate webhook (Standard Webhooks): `webhook-signature` holds space-separated
 * `v1,<base64>` entries, each an HMAC-SHA256 over `${id}.${timestamp}.${rawBody}` keyed by the base64
 * part of the `whsec_` secret. Refuses a timestamp more than five minutes away from `now`, compares
 * in constant time, and with a guard refuses an id it has already accepted. Pure but for the guard.
 */
export function verifyReplicateWebhook(
  headers: Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  secret: string,
  now: number,
  guard?: WebhookReplayGuard,
): WebhookVerdict {
  const header = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp is not a number of seconds' };
  if (Math.abs(now - Number(timestamp) * 1000) > WEBHOOK_TOLERANCE_MS) return { ok: false, reason: 'webhook-timestamp is outside the five-minute window' };
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'no webhook-signature matches the body' };
  if (guard && !guard.accept(id, now)) return { ok: false, reason: `webhook ${id} was already delivered` };
  return { ok: true, id };
}

/** The headers Replicate would send for `rawBody` (for tests and stand-ins). */
export function signReplicateWebhook(id: string, timestampSeconds: number, rawBody: string, secret: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${rawBody}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}
