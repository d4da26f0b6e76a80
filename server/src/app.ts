import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ensureDatabase, runMigrations } from '@studioflow/migrations';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { AppModule } from './app.module';
import { loadConfig, type AppConfig } from './config/config';
import { SeedService } from './seed/seed.service';

/** Builds the API app: migrations applied, templates seeded, lost jobs re-enqueued. Not yet listening. */
export async function createApp(config: AppConfig = loadConfig(), options: { logger?: false } = {}): Promise<NestExpressApplication> {
  await ensureDatabase(config.databaseUrl);
  await runMigrations(config.databaseUrl);
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger: options.logger === false ? ['error'] : ['log', 'warn', 'error'],
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: '2mb' });
  app.enableShutdownHooks();
  const docs = new DocumentBuilder()
    .setTitle('Studioflow API')
    .setDescription('Pipelines, templates, shoots and artifacts')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, docs));
  serveEditor(app, config.editorDir);
  await app.get(SeedService).seed();
  await app.get(RunCoordinator).reconcile();
  return app;
}

/** The built editor at '/', with a fallback to index.html for client-side routes. */
function serveEditor(app: NestExpressApplication, dir: string): void {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return;
  app.useStaticAssets(dir, { index: 'index.html' });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || req.path.startsWith('/api') || req.path.startsWith('/socket.io')) return next();
    res.sendFile(index);
  });
}
