import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { TemplatesModule } from '../templates/templates.module';
import { BatchAdmitter } from './batch-admitter';
import { BatchUploadInterceptor } from './batch-upload';
import { BatchesController } from './batches.controller';
import { BatchesService } from './batches.service';

/** Batch catalogs: upload, fair admission into shoots, progress, cancel, retry, results as a zip. */
@Module({
  imports: [ArtifactsModule, TemplatesModule],
  controllers: [BatchesController],
  providers: [BatchesService, BatchAdmitter, BatchUploadInterceptor],
})
export class BatchesModule {}
