import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import sharp from 'sharp';
import type { Redis } from 'ioredis';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { createProductCatalog, warmUpProductNodes } from '@studioflow/nodes';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, NodeQueues, RunCoordinator } from '@studioflow/runtime/bullmq';
import { NodeWorkerHost } from '@studioflow/runtime/worker';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { startRun } from '@studioflow/runtime/runs';
import { PgRunStore } from '@studioflow/runtime/store';
import { deleteKeys } from './redis-keys';
import { listenForRunEnds } from './run-ends';
import { hashTaggedPrefix } from '@studioflow/runtime/config';


export interface CacheNodeRow {
  nodeId: string;
  type: string;
  state: string;
  durationMs: number | null;
}

export interface CacheRunResult {
  runId: string;
  params: Record<string, unknown>;
  wallMs: number;
  nodes: CacheNodeRow[];
}

export interface CacheResult {
  photo: { seed: number; width: number; height: number; bytes: number };
  cold: CacheRunResult;
  /** Same photo, only deliver.jpegQuality changed; in order. */
  reruns: CacheRunResult[];
  /** Median of the re-runs' walls. */
  rerunWallMs: number;
  workerConcurrency: number;
}

/**
 * The execution cache through the real durable runtime, wired as the server and a worker process are
 * (API half: its own pool + Redis, startRun; worker half: its own pool + Redis,
 * NodeWorkerHost with the product catalog, completions through a RunCoordinator), in this process.
 * The worker is set up as server/src/worker/main.ts does: sharp on one thread, no libvips cache,
 * warmUpProductNodes() before the first job. A small photo runs cold + re-run first (not reported)
 * so pools, Lua scripts and the cache-hit path are warm too.
 */
export async function runCacheSection(opts: {
  redisUrl: string;
  templatePath: string;
  seed: number;
  reruns: number;
}): Promise<CacheResult> {
  const graph = (JSON.parse(await readFile(opts.templatePath, 'utf8')) as { graph: GraphDoc }).graph;
  const catalog = createProductCatalog();
  const prefix = hashTaggedPrefix(`sfbench-cache-${randomBytes(4).toString('hex')}`);
  const workerConcurrency = 2; // CPU_CONCURRENCY default of the worker process

  const prevConcurrency = sharp.concurrency();
  const prevCache = sharp.cache();
  sharp.concurrency(1);
  sharp.cache(false);

  let db: ScratchDatabase | undefined;
  const pools: Pool[] = [];
  const redis: Redis[] = [];
  let host: NodeWorkerHost | undefined;
  let api: RunCoordinator | undefined;
  let workerCoordinator: RunCoordinator | undefined;
  const artifactsDir = await mkdtemp(join(tmpdir(), 'sfbench-cache-artifacts-'));
  try {
    db = await createScratchDatabase('benchcache');
    const apiPool = new Pool({ connectionString: db.url, max: 4 });
    const workerPool = new Pool({ connectionString: db.url, max: 6 });
    for (const p of [apiPool, workerPool]) {
      pools.push(p);
      p.on('error', (err: Error & { code?: string }) => {
        if (err.code !== '57P01') console.error('pg pool error', err);
      });
    }
    const conn = () => {
      const r = createRedis({ url: opts.redisUrl, prefix });
      redis.push(r);
      return r;
    };
    const apiRedis = conn();
    api = RunCoordinator.create(new PgRunStore(apiPool), apiRedis, prefix);
    const workerRedis = conn();
    workerCoordinator = RunCoordinator.create(new PgRunStore(workerPool), workerRedis, prefix, new NodeQueues(workerRedis, prefix));
    const artifacts = new LocalArtifactStore(artifactsDir);

    await warmUpProductNodes();
    host = new NodeWorkerHost({
      connection: workerRedis,
      subscriber: conn(),
      prefix,
      resources: ['cpu'],
      concurrency: { cpu: workerConcurrency },
      catalog,
      artifacts,
      coordinator: workerCoordinator,
      log: { info: () => undefined, warn: (m, e) => console.warn(m, e), error: (m, e) => console.error(m, e) },
    });
    await host.start();

    // Run completion: the run.* notice on the events channel (published after the commit).
    const waiters = new Map<string, (status: string) => void>();
    const sub = conn();
    await listenForRunEnds(sub, prefix, waiters);

    const tenant = await apiPool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('bench-cache', 1000000) RETURNING id`);
    const tenantId: string = tenant.rows[0].id;
    const g = await apiPool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'white-studio', $2) RETURNING id`, [tenantId, JSON.stringify(graph)]);
    const version = await apiPool.query(
      `INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, $3) RETURNING id`,
      [g.rows[0].id, tenantId, JSON.stringify(graph)],
    );
    const graphVersionId: string = version.rows[0].id;

    /** One run started the way the API starts a shoot (startRun); wall = startRun → run.completed notice. */
    const runOnce = async (jpeg: Buffer, params: Record<string, unknown>): Promise<CacheRunResult> => {
      const upload = await artifacts.put(jpeg, { mime: 'image/jpeg' });
      const runId = randomUUID();
      const done = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cache bench: run ${runId} did not finish in 120 s`)), 120_000);
        waiters.set(runId, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
      const t0 = performance.now();
      await startRun(api!, catalog.descriptors, {
        runId,
        tenantId,
        kind: 'shoot',
        version: { id: graphVersionId, graphId: g.rows[0].id, version: 1, doc: graph },
        params,
        seeds: { upload },
        priceCredits: 1,
      });
      const status = await done;
      const wallMs = performance.now() - t0;
      waiters.delete(runId);
      const run = await apiPool.query(`SELECT status, error, plan->'order' AS "order" FROM runs WHERE id = $1`, [runId]);
      if (status !== 'completed' || run.rows[0]?.status !== 'completed') {
        throw new Error(`cache bench: run ${runId} ended ${run.rows[0]?.status ?? status}: ${run.rows[0]?.error ?? ''}`);
      }
      const nodes = await apiPool.query<{ node_id: string; node_type: string; state: string; duration_ms: number | null }>(
        `SELECT node_id, node_type, state, duration_ms FROM node_runs WHERE run_id = $1`,
        [runId],
      );
      const byId = new Map(nodes.rows.map((r) => [r.node_id, r]));
      return {
        runId,
        params,
        wallMs,
        nodes: (run.rows[0].order as string[]).map((id) => {
          const r = byId.get(id);
          return { nodeId: id, type: r?.node_type ?? '?', state: r?.state ?? '?', durationMs: r?.duration_ms ?? null };
        }),
      };
    };

    // Warm-up of the whole path (not reported), on another photo so nothing below is served from it.
    const small = await makeProductPhoto({ seed: opts.seed + 1, width: 1600, height: 1200 });
    await runOnce(small.jpeg, { 'deliver.jpegQuality': 90 });
    await runOnce(small.jpeg, { 'deliver.jpegQuality': 85 });

    const photo = await makeProductPhoto({ seed: opts.seed, width: 4000, height: 3000 });
    const cold = await runOnce(photo.jpeg, { 'deliver.jpegQuality': 90 });
    const reruns: CacheRunResult[] = [];
    for (let i = 0; i < opts.reruns; i++) reruns.push(await runOnce(photo.jpeg, { 'deliver.jpegQuality': 85 }));
    const walls = reruns.map((r) => r.wallMs).sort((a, b) => a - b);
    return {
      photo: { seed: opts.seed, width: photo.width, height: photo.height, bytes: photo.jpeg.length },
      cold,
      reruns,
      rerunWallMs: walls[Math.floor((walls.length - 1) / 2)],
      workerConcurrency,
    };
  } finally {
    await host?.close();
    await workerCoordinator?.queues.close();
    await api?.queues.close();
    if (redis[0]) await deleteKeys(redis[0], prefix);
    for (const r of redis) r.disconnect();
    for (const p of pools) await p.end();
    await db?.drop();
    await rm(artifactsDir, { recursive: true, force: true });
    sharp.concurrency(prevConcurrency);
    sharp.cache({ memory: prevCache.memory.max, files: prevCache.files.max, items: prevCache.items.max });
  }
}
