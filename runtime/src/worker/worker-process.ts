import pino from 'pino';
import type { ArtifactStore } from '../artifacts';
import type { NodeCatalog, NodeLogger } from '../contract';
import type { Resource } from '../graph';
import { PgRunStore, ResilientPool } from '../store';
import { createRedis } from '../bullmq/connection';
import { RunCoordinator } from '../bullmq/coordinator';
import { DEFAULT_RETRY, NodeQueues } from '../bullmq/queues';
import { NodeWorkerHost, type WorkerHostOptions } from './worker-host';
import { costRatesFromEnv } from './cost-meter';
import { startWorkerHealthServer } from './health-server';

export interface WorkerProcessOptions {
  name: string;
  catalog: NodeCatalog;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** From openArtifactStore: a folder or an object store. */
  artifacts: ArtifactStore;
  resources: readonly Resource[];
  concurrency: Partial<Record<Resource, number>>;
  slots?: WorkerHostOptions['slots'];
  queues?: WorkerHostOptions['queues'];
  /** How long SIGTERM waits for active nodes before exiting anyway. */
  shutdownGraceMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Serve /health/live and /health/ready on this port (default WORKER_HEALTH_PORT; unset: no probes). */
  healthPort?: number;
}

/** Boots a worker process (used by the server's worker entry and by gpu-runtime) with graceful shutdown. */
export async function startWorkerProcess(o: WorkerProcessOptions): Promise<{ host: NodeWorkerHost; stop: () => Promise<void> }> {
  const logger = pino({ name: o.name, level: process.env.LOG_LEVEL ?? 'info' });
  const wrap = (l: pino.Logger): NodeLogger => ({
    info: (msg, extra) => l.info(extra ?? {}, msg),
    warn: (msg, extra) => l.warn(extra ?? {}, msg),
    error: (msg, extra) => l.error(extra ?? {}, msg),
  });
  const log = wrap(logger);
  const pool = new ResilientPool({ connectionString: o.databaseUrl, max: 6 });
  // An idle connection dropped by PostgreSQL (restart, admin kill) must not crash the worker.
  pool.on('error', (err) => log.warn('idle PostgreSQL connection lost', { error: err.message }));
  const connection = createRedis({ url: o.redisUrl, prefix: o.prefix });
  const subscriber = createRedis({ url: o.redisUrl, prefix: o.prefix });
  // ioredis reconnects by itself; an unheard 'error' would only print a stack per attempt.
  for (const r of [connection, subscriber]) r.on('error', (err: Error) => log.warn('Redis connection error', { error: err.message }));
  const queues = new NodeQueues(connection, o.prefix, DEFAULT_RETRY, (err) => log.warn('Redis connection error (queues)', { error: err.message }));
  const artifacts = o.artifacts;
  const store = new PgRunStore(pool, { log, artifactExists: (hash) => artifacts.has(hash) });
  const coordinator = RunCoordinator.create(store, connection, o.prefix, queues, { log });
  const host = new NodeWorkerHost({
    connection,
    subscriber,
    prefix: o.prefix,
    resources: o.resources,
    concurrency: o.concurrency,
    ...(o.slots ? { slots: o.slots } : {}),
    ...(o.queues ? { queues: o.queues } : {}),
    catalog: o.catalog,
    artifacts,
    coordinator,
    log,
    logFor: (bindings) => wrap(logger.child(bindings)),
    costRates: costRatesFromEnv(),
    lockDurationMs: o.lockDurationMs ?? numberEnv('LOCK_DURATION_MS'),
    stalledIntervalMs: o.stalledIntervalMs ?? numberEnv('STALLED_INTERVAL_MS'),
  });
  await host.start();
  const healthPort = o.healthPort ?? numberEnv('WORKER_HEALTH_PORT');
  const health = healthPort !== undefined ? await startWorkerHealthServer(healthPort, { redis: connection, pool }) : undefined;
  log.info('worker started', { resources: o.resources, concurrency: o.concurrency, queues: o.queues, ...(health ? { healthPort } : {}) });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const grace = new Promise<void>((r) => setTimeout(r, o.shutdownGraceMs ?? 30_000).unref());
      health?.close();
      await Promise.race([host.close(), grace]);
      await coordinator.queues.close().catch(() => undefined);
      connection.disconnect();
      subscriber.disconnect();
      await pool.end().catch(() => undefined);
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info('shutting down: letting active nodes finish', { signal });
      void stop().then(() => process.exit(0));
    });
  }
  return { host, stop };
}

function numberEnv(name: string): number | undefined {
  const v = process.env[name];
  return v ? Number(v) : undefined;
}
