import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { hashTaggedPrefix, workerProcessLaunch } from '@studioflow/runtime/config';
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
  /** Starts the GPU runtime (gpu-runtime/src/main.ts: one CPU slot here) on the same database, queues and storage. */
  startGpuRuntime(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  /** Stops the API (workers keep running), waits, then starts a new API on the same port and data. */
  restartApi(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The real API on a random port, a scratch database, a unique queue prefix, and real worker processes. */
export async function startTestApp(label: string, options: { workers?: number; templatePreviews?: boolean } = {}): Promise<TestApp> {
  const db: ScratchDatabase = await createScratchDatabase(label);
  // A dot segment like the default `.storage`: serving artifacts from such a path once answered 404.
  const storage = join(await mkdtemp(join(tmpdir(), `sf-${label}-`)), '.storage');
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    QUEUE_PREFIX: hashTaggedPrefix(`sftest-${label}-${randomBytes(4).toString('hex')}`),
    STORAGE_DIR: storage,
    PORT: '0',
    // Preview runs would add work to every test's worker: only the tests about previews ask for them.
    TEMPLATE_PREVIEWS: options.templatePreviews ? 'on' : 'off',
  };
  // Tests call fast from one key: rate limits out of the way unless a test sets its own (public-api.test.ts).
  const generousLimits = { RATE_LIMIT_CREATE_PER_MINUTE: '1000000', RATE_LIMIT_READ_PER_MINUTE: '1000000', RATE_LIMIT_WRITE_PER_MINUTE: '1000000' };
  const config = loadConfig({ ...generousLimits, ...process.env, ...env });
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const workers: ChildProcess[] = [];

  async function startWorker(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const tuning = workerProcessLaunch();
    const child = spawn(process.execPath, [...tuning.execArgv, resolve(__dirname, '../../src/worker/main.js')], {
      env: { ...process.env, ...tuning.env, ...env, ...extraEnv, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  }
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

  async function startGpuRuntime(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, [resolve(__dirname, '../../../../gpu-runtime/dist/src/main.js')], {
      env: { ...process.env, ...env, ...extraEnv, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  }

  const t: TestApp = {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    staffKey: config.devKeys.staff,
    userKey: config.devKeys.endUser,
    workers,
    startWorker,
    startGpuRuntime,
    async restartApi(downMs = 500) {
      await t.app.close();
      await new Promise((r) => setTimeout(r, downMs));
      t.app = await createApp(config, { logger: false });
      await t.app.listen(address.port, '127.0.0.1');
    },
    async stop() {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode !== null ? undefined : new Promise((r) => w.once('exit', r)))));
      await t.app.close();
      await db.drop();
    },
  };
  return t;
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

/** Runs one query on the test app's database (a short-lived pool, so nothing is left open). */
export async function sql(t: TestApp, text: string, params: unknown[] = []): Promise<any[]> {
  const pool = new Pool({ connectionString: t.config.databaseUrl, max: 1 });
  try {
    return (await pool.query(text, params)).rows;
  } finally {
    await pool.end();
  }
}

/** Rejects after ms; unref'd so a finished test file does not wait for it. */
export function deadline(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}
