import { Module } from '@nestjs/common';
import { DeadLettersController } from '../dead-letters/dead-letters.controller';
import { ReviewController } from '../review/review.controller';
import { ShootsModule } from '../shoots/shoots.module';
import { MetricsController } from './metrics.controller';

@Module({ imports: [ShootsModule], controllers: [MetricsController, DeadLettersController, ReviewController] })
export class AdminModule {}
