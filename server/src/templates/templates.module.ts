import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { TemplatePreviewsService } from './template-previews.service';
import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';

@Module({
  imports: [ArtifactsModule],
  controllers: [TemplatesController],
  providers: [TemplatesService, TemplatePreviewsService],
  exports: [TemplatesService, TemplatePreviewsService],
})
export class TemplatesModule {}
