import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Tenants' webhook endpoints and the delivery of shoot events to them (the incoming Replicate webhook is in ../webhooks). */
@Module({
  controllers: [WebhookEndpointsController],
  providers: [WebhooksService, WebhookDispatcher],
})
export class OutgoingWebhooksModule {}
