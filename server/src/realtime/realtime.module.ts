import { Module } from '@nestjs/common';
import { GraphsModule } from '../graphs/graphs.module';
import { ShootsService } from '../shoots/shoots.service';
import { TemplatesModule } from '../templates/templates.module';
import { RealtimeGateway } from './realtime.gateway';

@Module({ imports: [GraphsModule, TemplatesModule], providers: [RealtimeGateway, ShootsService] })
export class RealtimeModule {}
