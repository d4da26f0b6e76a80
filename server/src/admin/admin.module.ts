import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module';
import { DeadLettersController } from '../dead-letters/dead-letters.controller';
import { DeadLettersService } from '../dead-letters/dead-letters.service';
import { ReviewController } from '../review/review.controller';
import { ReviewService } from '../review/review.service';
import { ProvidersModule } from '../providers/providers.module';
import { ShootsModule } from '../shoots/shoots.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [ShootsModule, ProvidersModule, ArtifactsModule],
  controllers: [MetricsController, DeadLettersController, ReviewController],
  providers: [MetricsService, DeadLettersService, ReviewService],
})
export class AdminModule {}
