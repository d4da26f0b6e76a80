import { Module } from '@nestjs/common';
import { SubflowsController } from './subflows.controller';
import { SubflowsService } from './subflows.service';

@Module({ controllers: [SubflowsController], providers: [SubflowsService], exports: [SubflowsService] })
export class SubflowsModule {}
