import { Module } from '@nestjs/common';
import { DeadLettersController } from '../dead-letters/dead-letters.controller';
import { ReviewController } from '../review/review.controller';
import { MetricsController } from './metrics.controller';

@Module({ controllers: [MetricsController, DeadLettersController, ReviewController] })
export class AdminModule {}
