import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations';
import { createApp } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config/config';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  baseUrl: string;
  staffKey: string;
  userKey: string;
  workers: ChildProcess[];
  startWorker(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  stop(): Promise<void>;
}

/** The real API on a random port, a scratch database, a unique queue prefix, and real worker processes. */
export async function startTestApp(label: string, options: { workers?: number } = {}): Promise<TestApp> {
  const db: ScratchDatabase = await createScratchDatabase(label);
  const storage = await mkdtemp(join(tmpdir(), `sf-${label}-`));
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    QUEUE_PREFIX: `sftest-${label}-${randomBytes(4).toString('hex')}`,
    STORAGE_DIR: storage,
    PORT: '0',
  };
  const config = loadConfig({ ...process.env, ...env });
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const workers: ChildProcess[] = [];

  async function startWorker(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, [resolve(__dirname, '../../src/worker/main.js')], {
      env: { MALLOC_ARENA_MAX: '2', ...process.env, ...env, ...extraEnv, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  }
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    staffKey: config.devKeys.staff,
    userKey: config.devKeys.endUser,
    workers,
    startWorker,
    async stop() {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode !== null ? undefined : new Promise((r) => w.once('exit', r)))));
      await app.close();
      await db.drop();
    },
  };
}

export async function api(t: TestApp, path: string, init: RequestInit & { key?: string } = {}): Promise<{ status: number; body: any }> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${init.key ?? t.staffKey}`);
  if (init.body && typeof init.body === 'string') headers.set('Content-Type', 'application/json');
  const res = await fetch(`${t.baseUrl}${path}`, { ...init, headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}
