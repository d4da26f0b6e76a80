import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { REPLICATE_WEBHOOK_PATH } from '@studioflow/nodes';
import { Public } from '../auth/decorators';
import { ReplicateWebhookService } from './replicate-webhook.service';

/**
 * Where Replicate posts finished predictions. No API key: the signature is the authentication, and
 * it covers the exact bytes sent, so this route gets the raw body (app.ts mounts a raw parser here).
 */
@ApiExcludeController()
@Public()
@Controller()
export class ReplicateWebhookController {
  constructor(private readonly webhooks: ReplicateWebhookService) {}

  @Post(REPLICATE_WEBHOOK_PATH.slice(1))
  @HttpCode(200)
  receive(@Headers() headers: Record<string, string | string[] | undefined>, @Req() req: Request) {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.webhooks.receive(headers, raw);
  }
}
