import { Module } from '@nestjs/common';
import { ReplicateWebhookController } from './replicate-webhook.controller';
import { ReplicateWebhookService } from './replicate-webhook.service';

@Module({ controllers: [ReplicateWebhookController], providers: [ReplicateWebhookService] })
export class WebhooksModule {}
