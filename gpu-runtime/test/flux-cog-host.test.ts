import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, eventsChannel, parseBatch, RunCoordinator } from '@studioflow/runtime/bullmq';
import type { NodeLogger } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { bindSeeds, compilePlan } from '@studioflow/runtime/scheduler';
import { PgRunStore, type NewRun } from '@studioflow/runtime/store';
import { startWorkerProcess } from '@studioflow/runtime/worker';
import { createProductCatalog } from '@studioflow/nodes';
import { CogStandIn, makeProductPhoto } from '@studioflow/nodes/testing';
import { GpuRuntime } from '../src/gpu-runtime';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ENV = ['STUDIOFLOW_COG_MODELS', 'STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];

/**
 * A shoot with flux-local through the real system: the plan sends the node to the queue gpu.flux-fill,
 * the GPU runtime (one CPU slot) runs it with the Cog client its pool loaded at start, progress
 * notices reach Redis per denoising step, and cancelling the run cancels the Cog prediction.
 */
describe('flux-local on the GPU runtime as a worker host (real PostgreSQL, Redis, Cog stand-in)', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  const catalog = createProductCatalog();
  const prefix = hashTaggedPrefix(`sftest-flux-${randomBytes(4).toString('hex')}`);
  const lines: Array<{ msg: string; extra?: Record<string, unknown> }> = [];
  const log: NodeLogger = { info: (msg, extra) => lines.push({ msg, extra }), warn: (msg, extra) => lines.push({ msg, extra }), error: (msg, extra) => lines.push({ msg, extra }) };
  const notices: Array<{ type: string; runId: string; nodeId: string; progress?: number; message?: string }> = [];
  const redis = createRedis({ url: REDIS_URL, prefix });
  const listener = createRedis({ url: REDIS_URL, prefix });
  const stops: Array<() => Promise<void>> = [];
  let dir: string;
  let db: ScratchDatabase;
  let pool: Pool;
  let coordinator: RunCoordinator;
  let gpu: GpuRuntime;
  let standIn: CogStandIn;
  let artifacts: LocalArtifactStore;
  let tenantId: string;
  let graphVersionId: string;

  before(async () => {
    for (const k of ENV) delete process.env[k];
    dir = await mkdtemp(join(tmpdir(), 'sf-flux-host-'));
    // SUBSCRIBE only once connected: sent during ioredis' ready check it breaks the connection.
    await listener.ping();
    await listener.subscribe(eventsChannel(prefix));
    listener.on('message', (_channel, message) => notices.push(...parseBatch<(typeof notices)[number]>(message)));

    db = await createScratchDatabase('fluxhost');
    pool = db.pool(4);
    coordinator = RunCoordinator.create(new PgRunStore(pool), redis, prefix);
    artifacts = new LocalArtifactStore(join(dir, 'storage'));
    tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 1000) RETURNING id`)).rows[0].id;
    const graph = await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId]);
    graphVersionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [graph.rows[0].id, tenantId])).rows[0].id;

    standIn = await CogStandIn.start({ setupMs: 500, behaviour: { stepMs: 150 } });
    // The shared configuration: the API side (compilePlan here) and the GPU runtime read the same.
    process.env.STUDIOFLOW_COG_MODELS = JSON.stringify({ 'flux-fill': { urls: [standIn.origin], bytes: 2 ** 20, schema: 'flux-fill', setupTimeoutS: 30 } });
    gpu = new GpuRuntime({ devices: ['cpu'], budgetBytes: 2 ** 30, models: ['flux-fill'], log });
    // Waits for the server's setup (STARTING, then READY) before the host takes jobs.
    await gpu.preload();
    const common = { catalog, databaseUrl: db.url, redisUrl: REDIS_URL, prefix, artifacts, shutdownGraceMs: 5000 };
    stops.push((await startWorkerProcess({ ...common, name: 'test-gpu-runtime', ...gpu.workerOptions() })).stop);
    stops.push((await startWorkerProcess({ ...common, name: 'test-cpu-worker', resources: ['cpu'], concurrency: { cpu: 2 } })).stop);
  });

  after(async () => {
    for (const stop of stops) await stop();
    await gpu?.close();
    await standIn?.close();
    await coordinator?.queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    listener.disconnect();
    await db?.drop();
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await rm(dir, { recursive: true, force: true });
  });

  async function shoot(generateParams: Record<string, unknown>): Promise<NewRun> {
    const doc: GraphDoc = {
      nodes: [
        { id: 'photo', type: 'input-image' },
        { id: 'cut', type: 'segment', params: { method: 'classical' } },
        { id: 'prompt', type: 'compose-prompt', params: { scene: 'marble-bathroom' } },
        { id: 'generate', type: 'flux-local', params: { size: 256, seed: 3, ...generateParams } },
      ],
      edges: [
        { source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' },
        { source: 'cut', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
        { source: 'cut', sourceHandle: 'cutout', target: 'generate', targetHandle: 'cutout' },
        { source: 'prompt', sourceHandle: 'prompt', target: 'generate', targetHandle: 'prompt' },
      ],
    };
    const plan = compilePlan(doc, catalog.descriptors, { place: catalog.place });
    const upload = await artifacts.put((await makeProductPhoto({ seed: 9, kind: 'mug', width: 480, height: 360 })).jpeg, { mime: 'image/jpeg' });
    const runId = randomUUID();
    return { runId, tenantId, kind: 'test', graphVersionId, plan, info: { runId, tenantId }, seedInputs: bindSeeds(plan, { upload }), priceCredits: 0 };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const runRow = (runId: string, statuses: string[]) =>
    until(`run ${runId} to be ${statuses.join('/')}`, async () => (await pool.query(`SELECT status, outputs, error FROM runs WHERE id = $1 AND status = ANY($2)`, [runId, statuses])).rows[0]);

  it('loaded the Cog server\'s client at start, once it left setup', () => {
    assert.ok(standIn.requestsTo('GET', /^\/health-check$/).length >= 2, 'polled while STARTING');
    assert.ok(lines.some((l) => l.msg === 'Cog server ready' && l.extra?.server === standIn.origin));
    assert.equal(gpu.slots.pools[0].loads, 1);
  });

  it('runs a shoot through gpu.flux-fill with a progress notice per denoising step', async () => {
    const run = await shoot({ steps: 8 });
    assert.equal(run.plan.nodes.generate.queue, 'gpu.flux-fill');
    await coordinator.startRuns([run]);
    const row = await runRow(run.runId, ['completed', 'failed']);
    assert.equal(row.status, 'completed', row.error ?? '');
    const meta = row.outputs.generate.image.meta;
    assert.deepEqual([meta.provider, meta.model, meta.server, meta.seed, meta.digitalSourceType], ['cog', 'flux-fill', standIn.origin, 3, 'compositeWithTrainedAlgorithmicMedia']);
    assert.ok(meta.placement.width > 0 && meta.placement.sourceWidth > 0);
    assert.ok(meta.gpuSeconds > 0);
    const steps = notices
      .filter((n) => n.type === 'node.progress' && n.runId === run.runId && n.nodeId === 'generate')
      .map((n) => Number(/step (\d+)\/8/.exec(n.message ?? '')?.[1]))
      .filter((s) => s > 0);
    assert.ok(new Set(steps).size >= 4, `progress notices for steps ${steps.join(', ')} (of ${notices.length} notices: ${[...new Set(notices.map((n) => n.type))].join(', ')})`);
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
    assert.equal(await coordinator.queues.queue('gpu.flux-fill').getCompletedCount(), 1);
  });

  it('cancelling the run mid-generation cancels the Cog prediction', async () => {
    const acceptedBefore = standIn.accepted.length;
    const run = await shoot({ steps: 40 });
    await coordinator.startRuns([run]);
    const reached = (n: (typeof notices)[number]) => n.type === 'node.progress' && n.runId === run.runId && /step ([2-9]|\d\d)\/40/.test(n.message ?? '');
    await until('the generation to reach step 2', () => (notices.some(reached) ? true : undefined));
    const id = standIn.accepted[acceptedBefore];
    await coordinator.cancel(run.runId, 'cancelled by the seller');
    await until('the stand-in to see the cancel', () => (standIn.canceled.includes(id) ? true : undefined));
    const row = await runRow(run.runId, ['cancelled']);
    assert.equal(row.status, 'cancelled');
    assert.equal(standIn.requestsTo('POST', /\/cancel$/).at(-1)!.path, `/predictions/${id}/cancel`);
  });
});
