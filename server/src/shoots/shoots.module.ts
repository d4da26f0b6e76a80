import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { GraphsModule } from '../graphs/graphs.module';
import { TemplatesModule } from '../templates/templates.module';
import { DraftRunsController } from './draft-runs.controller';
import { DraftRunsService } from './draft-runs.service';
import { RunEventsService } from './run-events.service';
import { RunsController } from './runs.controller';
import { ShootsController } from './shoots.controller';
import { ShootsService } from './shoots.service';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

@Module({
  imports: [ArtifactsModule, GraphsModule, TemplatesModule],
  controllers: [ShootsController, RunsController, UploadsController, DraftRunsController],
  providers: [ShootsService, UploadsService, DraftRunsService, RunEventsService],
  exports: [ShootsService, RunEventsService],
})
export class ShootsModule {}
