import 'reflect-metadata';
import { type INestApplication, Logger, VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { raw, type NextFunction, type Request, type Response } from 'express';
import { REPLICATE_WEBHOOK_PATH } from '@studioflow/nodes';
import { ensureDatabase, runMigrations } from '@studioflow/migrations';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { mountBullBoard } from './admin/bull-board';
import { AppModule } from './app.module';
import { rejectDeepJson } from './common/json-depth';
import { buildOpenApiDocument } from './openapi-document';
import { loadConfig, type AppConfig } from './config/config';
import { SeedService } from './seed/seed.service';
import { TemplatePreviewsService } from './templates/template-previews.service';
import { InfraModule, REDIS } from './db/infra.module';
import { RedisIoAdapter } from './realtime/redis-io.adapter';
import { TransientErrorFilter } from './common/transient-error.filter';
import { compressResponses } from './web/compress-responses';
import { serveWebApps } from './web/serve-web-apps';

/** Builds the API app: migrations applied, templates seeded, lost jobs re-enqueued. Not yet listening. */
export async function createApp(config: AppConfig = loadConfig(), options: { logger?: false } = {}): Promise<NestExpressApplication> {
  await ensureDatabase(config.databaseUrl);
  await runMigrations(config.databaseUrl);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: options.logger === false ? ['error'] : ['log', 'warn', 'error'],
    bodyParser: false,
  });
  app.disable('x-powered-by');
  // Browsers must take every answer (artifacts above all) for the type it declares, never sniff one.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(compressResponses());
  // A webhook's signature covers the exact bytes sent: its route keeps the raw body (a Buffer).
  app.use([REPLICATE_WEBHOOK_PATH, REPLICATE_WEBHOOK_PATH.replace(/^\/api\//, '/api/v1/')], raw({ type: () => true, limit: '1mb' }));
  app.useBodyParser('json', { limit: '2mb' });
  app.use(rejectDeepJson());
  app.enableShutdownHooks();
  // Several API processes share the Socket.IO rooms through Redis.
  app.useWebSocketAdapter(new RedisIoAdapter(app, app.get(REDIS), config.queuePrefix));
  routeVersions(app);
  // Database outages → 503 + Retry-After; client errors → their 4xx, logged at warn; the rest → 500.
  app.useGlobalFilters(new TransientErrorFilter(app.getHttpAdapter()));
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app));
  mountBullBoard(app);
  serveWebApps(app, config.editorDir);
  await app.get(SeedService).seed();
  const coordinator = app.get(RunCoordinator);
  await coordinator.reconcile();
  // Template previews run through the workers like any shoot: the API does not wait for them.
  if (config.templatePreviews) void app.get(TemplatePreviewsService).startMissing().catch((err: unknown) => new Logger('template-previews').warn(`previews not started: ${String(err)}`));
  // Redis keeps nothing on disk: re-enqueue from PostgreSQL periodically, not only at start.
  // A failed round (the database or Redis away) is logged and the next round tries again.
  const reconcileLog = new Logger('reconcile');
  const timer = setInterval(
    () => void coordinator.reconcile().catch((err: unknown) => reconcileLog.warn(`reconciliation failed; retrying in ${config.reconcileEveryMs} ms: ${String(err)}`)),
    config.reconcileEveryMs,
  );
  timer.unref();
  app.get(InfraModule).onClose(() => clearInterval(timer));
  return app;
}

/** Every route answers under /api/v1/… (the public, versioned API) and, unversioned, under /api/…. */
export function routeVersions(app: INestApplication): void {
  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: [VERSION_NEUTRAL, '1'] });
}
