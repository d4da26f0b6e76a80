import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseInterceptors, Version, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodResponse, openApiSchema, withFile } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { parseParams } from '../templates/template-params';
import { ShootsService, type ShootRequest } from './shoots.service';
import { Cancelled, CreateShootJson, CreateShootMultipart, ListShootsQuery, RunStarted, ShootDetail, ShootPage, ShootSummary } from './shoots.schemas';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';

/** The two ways to ask for a shoot: multipart with the photo (params as a JSON string), or JSON naming an upload. */
function shootRequest(req: Request, body: unknown, image: StagedUpload | undefined): ShootRequest {
  if (req.is('multipart/form-data')) {
    // Partial: a missing templateId answers the service's own 400, as it always has.
    const fields = new ZodPipe(CreateShootMultipart.partial()).transform(body ?? {});
    return { templateId: fields.templateId, params: parseParams(fields.params), image };
  }
  const json = new ZodPipe(CreateShootJson).transform(body ?? {});
  return { templateId: json.templateId, params: json.params ?? {}, uploadId: json.uploadId };
}

@ApiTags('shoots')
@Controller()
export class ShootsController {
  constructor(private readonly shoots: ShootsService) {}

  @Post('shoots')
  @Roles('end_user')
  @HttpCode(202)
  @RateLimit('create')
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    summary: 'Submit a product photo to a template; answers 202 {id, runId} at once',
    description:
      'Send the photo as multipart/form-data (`image`), or JSON naming an earlier upload (POST /api/v1/uploads). ' +
      'With an Idempotency-Key, the same request again answers 200 with the first shoot and charges nothing; the same key with another request answers 409.',
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: openApiSchema(CreateShootJson) },
        'multipart/form-data': { schema: withFile(openApiSchema(CreateShootMultipart)) },
      },
    },
  })
  @ApiZodResponse(202, RunStarted, 'the shoot is queued')
  @ApiZodResponse(200, RunStarted, 'an earlier request with this Idempotency-Key started this shoot; nothing was charged again')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'names this submission: resending it (after a 503 or a lost answer) returns the same shoot and charges once',
  })
  async submit(
    @CurrentPrincipal() p: Principal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @UploadedImage() image: StagedUpload | undefined,
    @Body() body: unknown,
  ) {
    // Read here, not with @Headers: the document names it once, optional, through @ApiHeader.
    const idempotencyKey = req.header('idempotency-key');
    const started = await this.shoots.submitShoot(p, shootRequest(req, body, image), idempotencyKey);
    if (started.repeated) res.status(200);
    return { id: started.id, runId: started.runId };
  }

  @Get('shoots')
  @Version('1')
  @RateLimit('read')
  @ApiOperation({ summary: 'Your shoots, newest first, a page at a time (cursor pagination)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, schema: { type: 'string' }, description: 'nextCursor of the previous page' })
  @ApiZodResponse(200, ShootPage)
  page(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(ListShootsQuery, 'query')) query: ListShootsQuery) {
    return this.shoots.page(p, query.limit, query.cursor);
  }

  /** The unversioned list keeps its first shape (a plain array) for existing clients. */
  @Get('shoots')
  @Version(VERSION_NEUTRAL)
  @RateLimit('read')
  @ApiZodResponse(200, z.array(ShootSummary))
  list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(ListShootsQuery, 'query')) query: ListShootsQuery) {
    return this.shoots.list(p, query.limit);
  }

  @Get('shoots/:id')
  @RateLimit('read')
  @ApiOperation({ summary: 'Status, per-node states and result URLs' })
  @ApiZodResponse(200, ShootDetail)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.shoots.get(p, id);
  }

  @Post('shoots/:id/cancel')
  @Roles('end_user')
  @HttpCode(202)
  @RateLimit('create')
  @ApiOperation({ summary: 'Cancel a queued or running shoot; 409 with its status when it has already finished' })
  @ApiZodResponse(202, Cancelled)
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.shoots.cancel(p, id);
  }
}
