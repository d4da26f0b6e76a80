import { Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ApiZodResponse, openApiSchema, withFile } from '../common/openapi';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { UploadStored } from './shoots.schemas';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';
import { UploadsService } from './uploads.service';

/** Photos sent ahead of their shoot: a client uploads once, then creates the shoot as JSON (and may retry it freely). */
@ApiTags('shoots')
@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  @Roles('end_user')
  @HttpCode(201)
  @RateLimit('create')
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    summary: 'Upload a product photo; answers its id for POST /api/v1/shoots {templateId, uploadId}',
    requestBody: { required: true, content: { 'multipart/form-data': { schema: withFile(openApiSchema(z.object({}))) } } },
  })
  @ApiZodResponse(201, UploadStored)
  upload(@CurrentPrincipal() p: Principal, @UploadedImage() image: StagedUpload | undefined) {
    return this.uploads.store(p, image);
  }
}
