import { Module } from '@nestjs/common';
import { ArtifactGcService } from './artifact-gc.service';
import { StorageController } from './storage.controller';

/** Artifact retention: the scheduled collector and the operator's routes. */
@Module({
  controllers: [StorageController],
  providers: [ArtifactGcService],
  exports: [ArtifactGcService],
})
export class StorageModule {}
