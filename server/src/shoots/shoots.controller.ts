import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RUN_STARTED } from './runs.controller';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ShootsService } from './shoots.service';
import { z } from 'zod';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';

const ListQuery = z.object({ limit: positiveInt(200).default(50) });
type ListQuery = z.infer<typeof ListQuery>;

@ApiTags('shoots')
@Controller()
export class ShootsController {
  constructor(private readonly shoots: ShootsService) {}

  @Post('shoots')
  @Roles('end_user')
  @HttpCode(202)
  @UseInterceptors(UploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['image', 'templateId'],
      properties: {
        image: { type: 'string', format: 'binary' },
        templateId: { type: 'string', description: 'template id or slug, e.g. white-studio' },
        params: { type: 'string', description: 'JSON object of exposed params, e.g. {"composite.fill":0.8}' },
      },
    },
  })
  @ApiOperation({ summary: 'Submit a product photo to a template; answers 202 {id, runId} at once' })
  @ApiAcceptedResponse({ schema: RUN_STARTED })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'names this submission: resending it (after a 503 or a lost answer) returns the same runId and charges once',
  })
  submit(
    @CurrentPrincipal() p: Principal,
    @UploadedImage() image: StagedUpload | undefined,
    @Body() body: { templateId?: string; params?: string },
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    return this.shoots.submitShoot(p, body?.templateId, body?.params, image, idempotencyKey);
  }

  @Get('shoots')
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(ListQuery, 'query')) query: ListQuery) {
    return this.shoots.list(p, query.limit);
  }

  @Get('shoots/:id')
  @ApiOperation({ summary: 'Status, per-node states and result URLs' })
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.shoots.get(p, id);
  }

  @Post('shoots/:id/cancel')
  @Roles('end_user')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a queued or running shoot; 409 with its status when it has already finished' })
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.shoots.cancel(p, id);
  }
}
