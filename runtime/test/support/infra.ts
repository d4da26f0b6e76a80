import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '@studioflow/migrations/testing';
import type { Redis } from 'ioredis';
import { LocalArtifactStore } from '../../src/artifacts';
import { createRedis, NodeQueues, RunCoordinator } from '../../src/bullmq';
import { NodeWorkerHost, type WorkerHostOptions } from '../../src/worker';
import type { NodeCatalog } from '../../src/contract';
import { PgRunStore } from '../../src/store';
import { hashTaggedPrefix } from '../../src/config';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Real PostgreSQL (a scratch database) + real Redis (a unique prefix) for one test file. */
export async function startInfra(label: string) {
  const db = await createScratchDatabase(label);
  const pool = db.pool(8);
  const prefix = hashTaggedPrefix(`sftest-${label}-${randomBytes(4).toString('hex')}`);
  const redis = createRedis({ url: REDIS_URL, prefix });
  const store = new PgRunStore(pool);
  const coordinator = RunCoordinator.create(store, redis, prefix);
  const artifacts = new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-artifacts-')));
  const tenant = await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 1000000) RETURNING id`);
  const graph = await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenant.rows[0].id]);
  const version = await pool.query(
    `INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`,
    [graph.rows[0].id, tenant.rows[0].id],
  );
  const connections: Redis[] = [redis];
  const hosts: NodeWorkerHost[] = [];

  /** A worker host on the cpu queue (or `options.resources`, each with `concurrency`). */
  async function startWorker(catalog: NodeCatalog, concurrency = 20, options: Partial<Pick<WorkerHostOptions, 'resources' | 'costRates'>> = {}): Promise<NodeWorkerHost> {
    const resources = options.resources ?? ['cpu'];
    const connection = createRedis({ url: REDIS_URL, prefix });
    const subscriber = createRedis({ url: REDIS_URL, prefix });
    connections.push(connection, subscriber);
    const workerCoordinator = new RunCoordinator(store, new NodeQueues(connection, prefix), coordinator.notices);
    const host = new NodeWorkerHost({
      connection,
      subscriber,
      prefix,
      resources,
      concurrency: Object.fromEntries(resources.map((r) => [r, concurrency])),
      ...(options.costRates ? { costRates: options.costRates } : {}),
      catalog,
      artifacts,
      coordinator: workerCoordinator,
      log: { info: () => undefined, warn: () => undefined, error: (m, e) => console.error(m, e) },
    });
    await host.start();
    hosts.push(host);
    return host;
  }

  async function stop(): Promise<void> {
    for (const h of hosts) await h.close();
    await coordinator.queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    for (const c of connections) c.disconnect();
    await db.drop();
  }

  return {
    pool,
    prefix,
    redis,
    store,
    coordinator,
    artifacts,
    tenantId: tenant.rows[0].id as string,
    graphVersionId: version.rows[0].id as string,
    startWorker,
    stop,
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 120_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
