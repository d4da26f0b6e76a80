import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { WebhookDelivery } from './webhook-delivery';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WEBHOOK_QUEUE } from './webhook-queue';
import { WebhookEndpointsController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Tenants' webhook endpoints and the delivery of shoot events to them (the incoming Replicate webhook is in ../webhooks). */
@Module({
  imports: [BullModule.registerQueue({ name: WEBHOOK_QUEUE })],
  controllers: [WebhookEndpointsController],
  providers: [WebhooksService, WebhookDispatcher, WebhookDelivery],
})
export class OutgoingWebhooksModule {}
