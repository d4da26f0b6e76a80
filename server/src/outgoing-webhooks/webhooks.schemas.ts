import { z } from 'zod';

/** The events a tenant can subscribe to: a shoot ended, well or not. */
export const WEBHOOK_EVENT_TYPES = ['shoot.completed', 'shoot.failed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const CreateWebhookBody = z
  .object({
    url: z.url().max(2000).describe('http(s) URL that receives POSTs signed in the Standard Webhooks format'),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).default([...WEBHOOK_EVENT_TYPES]),
    description: z.string().max(500).optional(),
  })
  .meta({ examples: [{ url: 'https://shop.example.com/hooks/studioflow', eventTypes: ['shoot.completed', 'shoot.failed'], description: 'order system' }] });
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const WebhookEndpoint = z.object({
  id: z.uuid(),
  url: z.string(),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  scope: z.enum(['tenant', 'own']).describe("'own': a seller's endpoint hears of their own shoots only"),
  createdAt: z.string(),
});

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({
  secret: z.string().describe('whsec_… signing secret; shown in this answer only'),
});

export const WebhookAttempt = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const WebhookDelivery = z.object({
  id: z.uuid().describe('the delivery id for .../resend'),
  webhookId: z.string().describe('the webhook-id header: the same on every retry and resend'),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  runId: z.uuid(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.array(WebhookAttempt),
  nextAttemptAt: z.string().nullable().describe('when the next retry is due (pending only)'),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});

/** What a receiver gets as the body. */
export const WebhookPayload = z.object({
  type: z.enum(WEBHOOK_EVENT_TYPES),
  timestamp: z.string(),
  data: z.object({ id: z.uuid(), runId: z.uuid(), status: z.string(), templateId: z.uuid().nullable(), error: z.string().nullable(), finishedAt: z.string() }),
});
