import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { createProductCatalog } from '@studioflow/nodes';
import { makeProductPhoto, mulberry32, ReplicateStandIn } from '@studioflow/nodes/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, NodeQueues, RunCoordinator } from '@studioflow/runtime/bullmq';
import { hashTaggedPrefix, workerProcessLaunch } from '@studioflow/runtime/config';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { startRun } from '@studioflow/runtime/runs';
import { PgRunStore } from '@studioflow/runtime/store';
import { deleteKeys } from './redis-keys';
import { listenForRunEnds } from './run-ends';

/** The part of templates/ai-scene.json that generates: photo → cut-out → prompt → Replicate. */
export const GENERATION_NODES = ['input', 'segment', 'prompt', 'generate'];
/** Runs measured one at a time after the batch. */
const IDLE_RUNS = 6;

export interface GenerationOptions {
  redisUrl: string;
  templatePath: string;
  runs: number;
  /** Each prediction takes a seeded-random time in [min, max] ms at the stand-in. */
  latencyMs: [number, number];
  seed: number;
  cpuConcurrency: number;
  cloudConcurrency: number;
  /** Side of the square image each prediction returns. */
  outputSide: number;
  /** Batches of `runs` one after another; the last one's timings are reported. */
  batches: number;
}

/** One sample of the system while runs are in flight. */
export interface GenerationSample {
  atMs: number;
  /** Predictions created at the stand-in and not yet seen finished by a poll. */
  predictionsWaiting: number;
  cpuActive: number;
  cpuWaiting: number;
  cloudActive: number;
  /** Active jobs on the CPU queue that are generation nodes (a waiting prediction holding a CPU slot). */
  generationOnCpu: number;
  workerRssMb: number;
}

export interface NodeTiming {
  nodeId: string;
  /** Upstream finished (or run created) → this node's job queued: the commit and its decision. */
  toQueuedMs: number;
  /** Queued → a worker took it: queue wait (CPU slots busy) and pick-up. */
  queuedToStartMs: number;
  durationMs: number;
}

export interface GenerationRun {
  runId: string;
  status: string;
  wallMs: number;
  nodes: NodeTiming[];
  /** Last node finished → the run's completion committed. */
  finishMs: number;
  /** The stand-in's time for this run's prediction (created → finished there). */
  predictionLatencyMs: number;
  /** Prediction finished at the stand-in → a poll saw it (the provider's polling interval). */
  pollDelayMs: number;
  /** A poll saw it finished → the generate node finished (download, decode, store). */
  downloadStoreMs: number;
}

export interface GenerationResult {
  options: GenerationOptions;
  wallMs: number;
  runs: GenerationRun[];
  /** Runs one at a time after the batch (2 s predictions): the orchestration gaps with no queue in front. */
  idleRuns: GenerationRun[];
  samples: GenerationSample[];
  predictionsCreated: number;
  throttled: number;
  workerRssMb: { afterWarmUp: number; peak: number; atEnd: number };
  /** The worker's peak RSS so far after each batch: flat when memory stays bounded. */
  peakRssAfterBatchMb: number[];
}

/**
 * `runs` generation shoots started at once through the durable runtime (startRun, as the API does)
 * against a ReplicateStandIn whose predictions take a seeded-random 2–10 s, served by one worker
 * process (CPU and cloud queues, as `npm start` runs it) with enough cloud slots for every run.
 */
export async function runGenerationSection(opts: GenerationOptions): Promise<GenerationResult> {
  const template = JSON.parse(await readFile(opts.templatePath, 'utf8')) as { graph: GraphDoc };
  const graph: GraphDoc = {
    nodes: template.graph.nodes.filter((n) => GENERATION_NODES.includes(n.id)),
    edges: template.graph.edges.filter((e) => GENERATION_NODES.includes(e.source) && GENERATION_NODES.includes(e.target)),
  };
  const catalog = createProductCatalog();
  const prefix = hashTaggedPrefix(`sfbench-gen-${randomBytes(4).toString('hex')}`);
  const savedEnv = { token: process.env.REPLICATE_API_TOKEN, baseUrl: process.env.REPLICATE_BASE_URL };

  let db: ScratchDatabase | undefined;
  let standIn: ReplicateStandIn | undefined;
  let worker: ChildProcess | undefined;
  let apiPool: Pool | undefined;
  let api: RunCoordinator | undefined;
  const redis: Redis[] = [];
  const storage = await mkdtemp(join(tmpdir(), 'sfbench-gen-'));
  try {
    db = await createScratchDatabase('benchgen');
    standIn = await ReplicateStandIn.start();
    const random = mulberry32(opts.seed);
    const [lo, hi] = opts.latencyMs;
    const latencies: number[] = [];
    // Drawn by creation index, so a re-run of the bench gives the same latencies in the same order.
    const latencyOf = (i: number) => {
      while (latencies.length <= i) latencies.push(Math.round(lo + random() * (hi - lo)));
      return latencies[i];
    };
    // The API half compiles the plan in this process: the generation node's placement needs Replicate.
    process.env.REPLICATE_API_TOKEN = 'test-token';
    process.env.REPLICATE_BASE_URL = standIn.baseUrl;

    const launch = workerProcessLaunch();
    worker = spawn(process.execPath, [...launch.execArgv, join(__dirname, 'generation-worker.js')], {
      env: {
        ...process.env,
        ...launch.env,
        DATABASE_URL: db.url,
        REDIS_URL: opts.redisUrl,
        QUEUE_PREFIX: prefix,
        STORAGE_DIR: storage,
        CPU_CONCURRENCY: String(opts.cpuConcurrency),
        CLOUD_CONCURRENCY: String(opts.cloudConcurrency),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      worker!.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('WORKER_READY')) resolve();
      });
      worker!.once('exit', (code) => reject(new Error(`generation worker exited with ${code} before it was ready`)));
    });
    const workerPid = worker.pid!;
    const afterWarmUp = await rssMb(workerPid, 'VmRSS');

    apiPool = new Pool({ connectionString: db.url, max: 8 });
    apiPool.on('error', (err: Error & { code?: string }) => {
      if (err.code !== '57P01') console.error('pg pool error', err);
    });
    const conn = () => {
      const r = createRedis({ url: opts.redisUrl, prefix });
      redis.push(r);
      return r;
    };
    const apiRedis = conn();
    api = RunCoordinator.create(new PgRunStore(apiPool), apiRedis, prefix, new NodeQueues(apiRedis, prefix));
    const artifacts = new LocalArtifactStore(storage);

    const waiters = new Map<string, (status: string) => void>();
    const sub = conn();
    await listenForRunEnds(sub, prefix, waiters);

    const tenant = await apiPool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('bench-generation', 1000000) RETURNING id`);
    const tenantId: string = tenant.rows[0].id;
    const g = await apiPool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'ai-scene generation', $2) RETURNING id`, [tenantId, JSON.stringify(graph)]);
    const graphId: string = g.rows[0].id;
    const v = await apiPool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, $3) RETURNING id`, [graphId, tenantId, JSON.stringify(graph)]);
    const version = { id: v.rows[0].id as string, graphId, version: 1, doc: graph };

    // Distinct small photos, so no run is served from another's cached cut-out.
    const uploads: ArtifactRef[] = [];
    for (let i = 0; i < 2 + opts.runs * opts.batches + IDLE_RUNS; i++) {
      const photo = await makeProductPhoto({ seed: opts.seed * 1000 + i, width: 480, height: 360 });
      uploads.push(await artifacts.put(photo.jpeg, { mime: 'image/jpeg' }));
    }
    let nextUpload = 0;

    const runBatch = async (doc: GraphDoc, count: number): Promise<Array<{ runId: string; status: string; wallMs: number }>> => {
      const ids = Array.from({ length: count }, () => randomUUID());
      const walls = new Map<string, { t0: number; wallMs?: number; status?: string }>();
      const done = ids.map(
        (runId) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`generation bench: run ${runId} did not finish in 300 s`)), 300_000);
            waiters.set(runId, (status) => {
              clearTimeout(timer);
              const w = walls.get(runId)!;
              w.wallMs = performance.now() - w.t0;
              w.status = status;
              waiters.delete(runId);
              resolve();
            });
          }),
      );
      await Promise.all(
        ids.map((runId) => {
          walls.set(runId, { t0: performance.now() });
          return startRun(api!, catalog.descriptors, {
            runId,
            tenantId,
            kind: 'shoot',
            version: { ...version, doc },
            params: { 'prompt.title': `Bench product ${runId.slice(0, 8)}` },
            materialize: 'consumed',
            place: catalog.place,
            seeds: { upload: uploads[nextUpload++ % uploads.length] },
            priceCredits: 1,
          });
        }),
      );
      await Promise.all(done);
      return ids.map((runId) => ({ runId, status: walls.get(runId)!.status!, wallMs: walls.get(runId)!.wallMs! }));
    };

    // Warm-up (not reported): the whole path once, so pools, Lua scripts and the provider are warm.
    standIn.set({ stepMs: 50, output: 'png', outputSize: [opts.outputSide, opts.outputSide] });
    await runBatch(graph, 2);
    standIn.set({ latencyMs: latencyOf, output: 'png', outputSize: [opts.outputSide, opts.outputSide] });

    const queues = api.queues.queues;
    const peakRssAfterBatchMb: number[] = [];
    for (let b = 1; b < opts.batches; b++) {
      await runBatch(graph, opts.runs);
      peakRssAfterBatchMb.push(await rssMb(workerPid, 'VmHWM'));
    }
    // The measured batch draws latencies from index 0 whatever ran before it.
    standIn.set({ latencyMs: latencyOf, output: 'png', outputSize: [opts.outputSide, opts.outputSide] });
    const measuredFrom = standIn.createdPredictions().length;
    const createsBefore = standIn.requestsTo('POST', /\/predictions$/).length;
    const samples: GenerationSample[] = [];
    const t0 = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const predictions = standIn!.createdPredictions().slice(measuredFrom);
        const active = await queues.cpu.getJobs(['active'], 0, 100);
        const [cpuActive, cpuWaiting, cloudActive, workerRssMb] = await Promise.all([
          queues.cpu.getActiveCount(),
          queues.cpu.getJobCountByTypes('waiting', 'prioritized'),
          queues.cloud.getActiveCount(),
          rssMb(workerPid, 'VmRSS'),
        ]);
        samples.push({
          atMs: performance.now() - t0,
          predictionsWaiting: predictions.filter((p) => p.settledAt === undefined).length,
          cpuActive,
          cpuWaiting,
          cloudActive,
          generationOnCpu: active.filter((j) => j?.data?.type === 'seedream').length,
          workerRssMb,
        });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const batch = await runBatch(graph, opts.runs);
    const wallMs = performance.now() - t0;
    sampling = false;
    await sampler;
    const peak = await rssMb(workerPid, 'VmHWM');
    peakRssAfterBatchMb.push(peak);
    const atEnd = await rssMb(workerPid, 'VmRSS');

    const created = standIn.createdPredictions().slice(measuredFrom);
    const predictionsCreated = created.length;
    const creates = standIn.requestsTo('POST', /\/predictions$/).length - createsBefore;

    // One run at a time: each gap is the runtime's own (commit, decide, enqueue, pick-up), not a queue.
    standIn.set({ stepMs: 1000, output: 'png', outputSize: [opts.outputSide, opts.outputSide] });
    const idleBatch: Awaited<ReturnType<typeof runBatch>> = [];
    for (let i = 0; i < IDLE_RUNS; i++) idleBatch.push(...(await runBatch(graph, 1)));

    const byPrediction = new Map(standIn.createdPredictions().map((p) => [p.id, p]));
    const runs = await runTimings(apiPool, batch, byPrediction);
    const idleRuns = await runTimings(apiPool, idleBatch, byPrediction);
    return {
      options: opts,
      wallMs,
      runs,
      idleRuns,
      samples,
      predictionsCreated,
      // Create requests beyond the predictions made: answered 429 (Replicate's rate limit).
      throttled: creates - predictionsCreated,
      workerRssMb: { afterWarmUp, peak, atEnd },
      peakRssAfterBatchMb,
    };
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await api?.queues.close();
    if (redis[0]) await deleteKeys(redis[0], prefix);
    for (const r of redis) r.disconnect();
    await apiPool?.end();
    await db?.drop();
    await standIn?.close();
    await rm(storage, { recursive: true, force: true });
    for (const [k, v] of [['REPLICATE_API_TOKEN', savedEnv.token], ['REPLICATE_BASE_URL', savedEnv.baseUrl]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Per run, from node_runs: where its time went besides the prediction itself. */
async function runTimings(
  pool: Pool,
  batch: Array<{ runId: string; status: string; wallMs: number }>,
  predictions: Map<string, { createdAt: number; stepMs: number; settledAt?: number }>,
): Promise<GenerationRun[]> {
  const ids = batch.map((b) => b.runId);
  const runRows = await pool.query<{ id: string; created_at: Date; finished_at: Date | null }>(`SELECT id, created_at, finished_at FROM runs WHERE id = ANY($1)`, [ids]);
  const nodeRows = await pool.query<{
    run_id: string;
    node_id: string;
    queued_at: Date | null;
    started_at: Date | null;
    finished_at: Date | null;
    duration_ms: number | null;
    prediction: string | null;
  }>(
    `SELECT run_id, node_id, queued_at, started_at, finished_at, duration_ms, outputs->'image'->'meta'->>'predictionId' AS prediction
       FROM node_runs WHERE run_id = ANY($1)`,
    [ids],
  );
  const runsById = new Map(runRows.rows.map((r) => [r.id, r]));
  const nodesByRun = new Map<string, typeof nodeRows.rows>();
  for (const n of nodeRows.rows) nodesByRun.set(n.run_id, [...(nodesByRun.get(n.run_id) ?? []), n]);
  const ms = (d: Date | null) => d?.getTime() ?? NaN;
  return batch.map((b) => {
    const run = runsById.get(b.runId)!;
    const rows = nodesByRun.get(b.runId) ?? [];
    // A chain: each node's upstream is the one before it in GENERATION_NODES (segment → prompt → generate read the cut-out too, but it is done by then).
    let upstreamEnd = ms(run.created_at);
    const nodes: NodeTiming[] = [];
    for (const id of GENERATION_NODES) {
      const r = rows.find((x) => x.node_id === id);
      if (!r) continue;
      nodes.push({
        nodeId: id,
        toQueuedMs: ms(r.queued_at) - upstreamEnd,
        queuedToStartMs: ms(r.started_at) - ms(r.queued_at),
        durationMs: r.duration_ms ?? ms(r.finished_at) - ms(r.started_at),
      });
      upstreamEnd = ms(r.finished_at);
    }
    const generate = rows.find((x) => x.node_id === 'generate');
    const p = generate?.prediction ? predictions.get(generate.prediction) : undefined;
    const settledByStandIn = p ? p.createdAt + 2 * p.stepMs : NaN;
    return {
      runId: b.runId,
      status: b.status,
      wallMs: b.wallMs,
      nodes,
      finishMs: ms(run.finished_at) - upstreamEnd,
      predictionLatencyMs: p ? 2 * p.stepMs : NaN,
      pollDelayMs: p?.settledAt !== undefined ? p.settledAt - settledByStandIn : NaN,
      downloadStoreMs: p?.settledAt !== undefined ? ms(generate!.finished_at) - p.settledAt : NaN,
    };
  });
}

async function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return kb ? Number(kb[1]) / 1024 : NaN;
}
