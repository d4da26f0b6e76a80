import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { REPLICATE_WEBHOOK_PATH } from '@studioflow/nodes';
import { Public } from '../auth/decorators';
import { ReplicateWebhookService } from './replicate-webhook.service';

/**
 * Where Replicate posts finished predictions. No API key: the signature is the authentication, and
 * it covers the exact bytes sent, so this route gets the raw body (app.ts mounts a raw parser here).
 */
@ApiTags('webhooks')
@Public()
@Controller()
export class ReplicateWebhookController {
  constructor(private readonly webhooks: ReplicateWebhookService) {}

  @Post(REPLICATE_WEBHOOK_PATH.replace(/^\/api\//, ''))
  @HttpCode(200)
  @ApiOperation({ summary: "Replicate's completed-prediction webhook (Standard Webhooks signature); wakes the seedream job waiting on it" })
  @ApiConsumes('application/json')
  @ApiHeader({ name: 'webhook-id', required: true, description: 'delivery id: a repeat is answered 200 and ignored' })
  @ApiHeader({ name: 'webhook-timestamp', required: true, description: 'unix seconds; more than five minutes off is refused' })
  @ApiHeader({ name: 'webhook-signature', required: true, description: 'v1,<base64 HMAC-SHA256 of id.timestamp.body>' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { accepted: { type: 'boolean' }, predictionId: { type: 'string' }, reason: { type: 'string', enum: ['replayed'] } },
    },
  })
  @ApiUnauthorizedResponse({ description: 'forged, tampered, unsigned or stale' })
  @ApiNotFoundResponse({ description: 'REPLICATE_WEBHOOK_SECRET is not set' })
  receive(@Headers() headers: Record<string, string | string[] | undefined>, @Req() req: Request) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.webhooks.receive(headers, raw);
  }
}
