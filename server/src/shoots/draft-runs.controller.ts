import { BadRequestException, Body, Controller, Delete, HttpCode, Param, Post, Put, Req, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { GraphDoc } from '@studioflow/runtime/graph';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ApiZodResponse, openApiSchema, withFile } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { DraftRunJson, DraftRunMultipart, DraftRunStarted, PinnedTestPhoto, TestPhotoMultipart } from './draft-runs.schemas';
import { DraftRunsService } from './draft-runs.service';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';

/** A JSON value sent as a multipart text field; 400 naming the field when it does not parse. */
function parseJsonField(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestException(`${field} must be a JSON document`);
  }
}

/** Iterating without committing (staff): run the canvas as it is, and the photo such runs use by default. */
@ApiTags('graphs')
@Roles('staff')
@Controller('graphs')
export class DraftRunsController {
  constructor(private readonly drafts: DraftRunsService) {}

  @Post(':id/draft-runs')
  @HttpCode(202)
  @RateLimit('create')
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    summary: 'Run the canvas as it is (no commit, no credits): a draft run, recorded with its document and content hash',
    description:
      'JSON {graph, untilNodeId?} runs on the photo pinned to the graph; multipart sends the photo in `image` and the graph as a JSON string. ' +
      'The document is validated as a commit would be (422 with the problems). The run appears in the graph\'s runs as `draft: true`, never as a version.',
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: openApiSchema(DraftRunJson) },
        'multipart/form-data': { schema: withFile(openApiSchema(DraftRunMultipart)) },
      },
    },
  })
  @ApiZodResponse(202, DraftRunStarted)
  start(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Req() req: Request, @UploadedImage() image: StagedUpload | undefined, @Body() body: unknown) {
    let request: DraftRunJson;
    if (req.is('multipart/form-data')) {
      const fields = new ZodPipe(DraftRunMultipart).transform(body ?? {});
      request = new ZodPipe(DraftRunJson).transform({ graph: parseJsonField(fields.graph, 'graph'), untilNodeId: fields.untilNodeId || undefined });
    } else request = new ZodPipe(DraftRunJson).transform(body ?? {});
    return this.drafts.start(p, id, request.graph as GraphDoc, image, request.untilNodeId);
  }

  @Put(':id/test-photo')
  @RateLimit('create')
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    summary: 'Pin a test photo to the graph (multipart `image`): draft runs without a photo use it; kept while pinned',
    requestBody: { required: true, content: { 'multipart/form-data': { schema: withFile(openApiSchema(TestPhotoMultipart)) } } },
  })
  @ApiZodResponse(200, PinnedTestPhoto)
  pin(@CurrentPrincipal() p: Principal, @Param('id') id: string, @UploadedImage() image: StagedUpload | undefined) {
    return this.drafts.pinTestPhoto(p, id, image);
  }

  @Delete(':id/test-photo')
  @HttpCode(204)
  @RateLimit('write')
  @ApiOperation({ summary: "Unpin the graph's test photo" })
  async unpin(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    await this.drafts.unpinTestPhoto(p, id);
  }
}
