import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ArtifactUrls } from './artifact-urls';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsService } from './artifacts.service';
import { ArtifactThumbnails } from './thumbnails';

/** Until an artifact is actually served, the answer (401, 403, 404, ...) must not be cached anywhere. */
function noStoreUntilServed(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

@Module({ controllers: [ArtifactsController], providers: [ArtifactUrls, ArtifactsService, ArtifactThumbnails], exports: [ArtifactUrls, ArtifactThumbnails] })
export class ArtifactsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(noStoreUntilServed).forRoutes(ArtifactsController);
  }
}
