import { Module } from '@nestjs/common';
import { ArtifactGcService } from './artifact-gc.service';
import { ArtifactGcController } from './artifact-gc.controller';

/** Artifact retention: the scheduled collector and the operator's routes. */
@Module({
  controllers: [ArtifactGcController],
  providers: [ArtifactGcService],
  exports: [ArtifactGcService],
})
export class RetentionModule {}
