import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ApiZodBody, ApiZodResponse } from '../common/openapi';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { CreatedWebhookEndpoint, CreateWebhookBody, WebhookDelivery, WebhookEndpoint } from './webhooks.schemas';
import { WebhooksService } from './webhooks.service';

const DeliveriesQuery = z.object({ limit: positiveInt(200).default(50) });
type DeliveriesQuery = z.infer<typeof DeliveriesQuery>;

/** Outgoing webhooks: staff register the tenant's endpoints, a seller their own. */
@ApiTags('webhooks')
@Roles('end_user')
@Controller('webhooks')
export class WebhookEndpointsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @RateLimit('create')
  @ApiOperation({
    summary: 'Register an endpoint for shoot.completed / shoot.failed; the signing secret (whsec_…) is in this answer only',
    description: 'Deliveries are signed in the Standard Webhooks format: webhook-id, webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256 of "id.timestamp.body">.',
  })
  @ApiZodBody(CreateWebhookBody)
  @ApiZodResponse(201, CreatedWebhookEndpoint)
  create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(CreateWebhookBody)) body: CreateWebhookBody) {
    return this.webhooks.create(p, body);
  }

  @Get()
  @ApiOperation({ summary: 'Endpoints the caller may manage (staff: every endpoint of the tenant)' })
  @ApiZodResponse(200, z.array(WebhookEndpoint))
  list(@CurrentPrincipal() p: Principal) {
    return this.webhooks.list(p);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove an endpoint: nothing more is sent to it' })
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.webhooks.remove(p, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Delivery log, newest first: each event with its attempts (status codes, durations) and next retry' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiZodResponse(200, z.array(WebhookDelivery))
  deliveries(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query(new ZodPipe(DeliveriesQuery, 'query')) query: DeliveriesQuery) {
    return this.webhooks.deliveries(p, id, query.limit);
  }

  @Post(':id/deliveries/:deliveryId/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivery again now, with the same webhook-id' })
  resend(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    return this.webhooks.resend(p, id, deliveryId);
  }
}
