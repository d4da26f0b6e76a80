import { Body, Controller, Get, GoneException, Headers, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { BATCH_FORM } from '@studioflow/runtime/graph';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { BatchUploadInterceptor, type StagedCatalog, UploadedCatalog } from './batch-upload';
import { BatchesService } from './batches.service';

const ListQuery = z.object({ limit: positiveInt(200).default(50) });
type ListQuery = z.infer<typeof ListQuery>;

@ApiTags('batches')
@Controller('batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @Roles('end_user')
  @UseInterceptors(BatchUploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [BATCH_FORM.archive, BATCH_FORM.templateId],
      properties: {
        [BATCH_FORM.archive]: { type: 'string', format: 'binary', description: 'a zip of product images (JPEG, PNG, WebP, …)' },
        [BATCH_FORM.catalog]: {
          type: 'string',
          format: 'binary',
          description: 'optional CSV with a header: file (the image\'s path in the zip), title, and any exposed param as a <node>.<param> column',
        },
        [BATCH_FORM.templateId]: { type: 'string', description: 'template id or slug, e.g. white-studio' },
        [BATCH_FORM.params]: { type: 'string', description: 'JSON object of exposed params for every item, e.g. {"composite.fill":0.8}' },
      },
    },
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'same key and same upload: the same batch (200), charged once; same key, other upload: 409' })
  @ApiOperation({
    summary: 'Submit a catalog: everything is checked first (4xx listing every problem, nothing charged); items become shoots as room frees up, each charged when admitted',
  })
  async create(
    @CurrentPrincipal() p: Principal,
    @UploadedCatalog() files: StagedCatalog,
    @Body() body: { templateId?: string; params?: string },
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const created = await this.batches.create(p, body?.templateId, body?.params, files, idempotencyKey);
    res.status(created.status);
    return created.batch;
  }

  @Get()
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiOperation({ summary: 'Your batches, newest first, with progress counts' })
  list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(ListQuery, 'query')) query: ListQuery) {
    return this.batches.list(p, query.limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Progress counts and every item: status, shoot id, error, result links' })
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.batches.get(p, id);
  }

  @Post(':id/cancel')
  @Roles('end_user')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel waiting and running items; each admitted one is refunded once. Repeating it changes nothing' })
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.batches.cancel(p, id);
  }

  @Post(':id/items/:itemId/retry')
  @Roles('end_user')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry one failed item as a new shoot (charged again when admitted; the failed one was refunded); 409 unless it failed' })
  retry(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Param('itemId') itemId: string) {
    return this.batches.retryItem(p, id, itemId);
  }

  @Get(':id/results.zip')
  @ApiProduces('application/zip')
  @ApiOperation({ summary: 'Every delivered image of the completed items, named after the items, as one zip (streamed)' })
  async results(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Res() res: Response) {
    // Checked before the headers go out, so an unknown batch is still a plain 404.
    await this.batches.get(p, id);
    if (await this.batches.resultsExpired(p, id)) throw new GoneException(`the images of batch ${id} were deleted after the delivery retention period`);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="batch-${id}.zip"`);
    await this.batches.writeResults(p, id, res);
  }
}
