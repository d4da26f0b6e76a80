import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { TemplateLifecycleService } from './template-lifecycle.service';
import { TemplatePreviewsService } from './template-previews.service';
import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';

@Module({
  imports: [ArtifactsModule],
  controllers: [TemplatesController],
  providers: [TemplatesService, TemplatePreviewsService, TemplateLifecycleService],
  exports: [TemplatesService, TemplatePreviewsService],
})
export class TemplatesModule {}
