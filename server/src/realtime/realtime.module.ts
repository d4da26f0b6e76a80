import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { ShootsModule } from '../shoots/shoots.module';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [ArtifactsModule, ShootsModule], providers: [RealtimeGateway] })
export class RealtimeModule {}
