import { Module } from '@nestjs/common';
import { ShootsModule } from '../shoots/shoots.module';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [ShootsModule], providers: [RealtimeGateway] })
export class RealtimeModule {}
