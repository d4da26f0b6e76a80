import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { GraphsController } from './graphs.controller';
import { GraphsService } from './graphs.service';
import { SubflowsModule } from '../subflows/subflows.module';

@Module({ imports: [ArtifactsModule, SubflowsModule], controllers: [GraphsController], providers: [GraphsService], exports: [GraphsService] })
export class GraphsModule {}
