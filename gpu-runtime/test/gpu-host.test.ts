import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, RunCoordinator } from '@studioflow/runtime/bullmq';
import type { NodeLogger } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { bindSeeds, compilePlan } from '@studioflow/runtime/scheduler';
import { PgRunStore, type NewRun } from '@studioflow/runtime/store';
import { startWorkerProcess } from '@studioflow/runtime/worker';
import { createProductCatalog } from '@studioflow/nodes';
import { darkProductScene, thresholdAt, tinySegmentationModel } from '@studioflow/nodes/testing';
import { GpuRuntime } from '../src/gpu-runtime';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * The GPU runtime as a worker host on real PostgreSQL and Redis, beside a CPU worker: the API side
 * compiles plans with placement, segment's jobs go to the per-model queue, and the slot's model
 * stays warm across them.
 */
describe('the GPU runtime as a worker host (real PostgreSQL, Redis and onnxruntime)', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  const catalog = createProductCatalog();
  const prefix = hashTaggedPrefix(`sftest-gpu-${randomBytes(4).toString('hex')}`);
  const lines: Array<{ level: string; msg: string; extra?: Record<string, unknown> }> = [];
  const log: NodeLogger = {
    info: (msg, extra) => lines.push({ level: 'info', msg, extra }),
    warn: (msg, extra) => lines.push({ level: 'warn', msg, extra }),
    error: (msg, extra) => lines.push({ level: 'error', msg, extra }),
  };
  let dir: string;
  let db: ScratchDatabase;
  let pool: Pool;
  let coordinator: RunCoordinator;
  let gpu: GpuRuntime;
  let artifacts: LocalArtifactStore;
  let tenantId: string;
  let graphVersionId: string;
  let loadsBeforeJobs = -1;
  const stops: Array<() => Promise<void>> = [];
  const redis = createRedis({ url: REDIS_URL, prefix });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-gpu-host-'));
    const { k, b } = thresholdAt(150, 0.12, IMAGENET.mean, IMAGENET.std);
    const file = join(dir, 'tiny.onnx');
    await writeFile(file, tinySegmentationModel({ size: 64, k, b, sigmoid: true }));
    for (const key of ENV) delete process.env[key];
    // The shared model configuration: the API side (compilePlan here) and the GPU runtime read the same.
    process.env.STUDIOFLOW_MODELS = JSON.stringify({
      tiny: { file, inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, ...IMAGENET, output: 'probability', normalise: 'none', licence: 'test', commercialUse: true },
    });
    process.env.STUDIOFLOW_DEFAULT_MODEL = 'tiny';

    db = await createScratchDatabase('gpuhost');
    pool = db.pool(4);
    coordinator = RunCoordinator.create(new PgRunStore(pool), redis, prefix);
    artifacts = new LocalArtifactStore(join(dir, 'storage'));
    tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('t', 1000) RETURNING id`)).rows[0].id;
    const graph = await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId]);
    graphVersionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [graph.rows[0].id, tenantId])).rows[0].id;

    gpu = new GpuRuntime({ devices: ['cpu'], budgetBytes: 2 ** 20, models: ['tiny'], log });
    await gpu.preload();
    loadsBeforeJobs = gpu.slots.pools[0].loads;
    const common = { catalog, databaseUrl: db.url, redisUrl: REDIS_URL, prefix, artifacts, shutdownGraceMs: 5000 };
    stops.push((await startWorkerProcess({ ...common, name: 'test-gpu-runtime', ...gpu.workerOptions() })).stop);
    stops.push((await startWorkerProcess({ ...common, name: 'test-cpu-worker', resources: ['cpu'], concurrency: { cpu: 2 } })).stop);
  });

  after(async () => {
    for (const stop of stops) await stop();
    await gpu?.close();
    await coordinator?.queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await db?.drop();
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await rm(dir, { recursive: true, force: true });
  });

  async function shoot(seed: number, segmentParams: Record<string, unknown> = {}): Promise<NewRun> {
    const doc: GraphDoc = {
      nodes: [{ id: 'photo', type: 'input-image' }, { id: 'cut', type: 'segment', params: segmentParams }],
      edges: [{ source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' }],
    };
    const plan = compilePlan(doc, catalog.descriptors, { place: catalog.place });
    const upload = await artifacts.put((await darkProductScene(seed, 320, 240)).jpeg, { mime: 'image/jpeg' });
    const runId = randomUUID();
    return { runId, tenantId, kind: 'test', graphVersionId, plan, info: { runId, tenantId }, seedInputs: bindSeeds(plan, { upload }), priceCredits: 0 };
  }

  async function finished(ids: string[]): Promise<Array<{ status: string; outputs: any; error: string | null }>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await pool.query(`SELECT status, outputs, error FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed')`, [ids]);
      if (res.rowCount === ids.length) return res.rows;
      if (Date.now() > deadline) throw new Error('runs did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('preloads the served model before taking the first job', () => {
    assert.equal(loadsBeforeJobs, 1);
    assert.ok(lines.some((l) => l.msg === 'model loaded (cold start)' && l.extra?.modelId === 'tiny'));
  });

  it('runs segment\'s model on the GPU runtime slot, warm across three jobs: one load', async () => {
    const runs = await Promise.all([1, 2, 3].map((seed) => shoot(seed)));
    assert.ok(runs.every((r) => r.plan.nodes.cut.queue === 'gpu.tiny'));
    await coordinator.startRuns(runs);
    const rows = await finished(runs.map((r) => r.runId));
    for (const row of rows) {
      assert.equal(row.status, 'completed', row.error ?? '');
      const meta = row.outputs.cut.cutout.meta;
      assert.deepEqual([meta.method, meta.model, meta.device, meta.provider], ['onnx', 'tiny', 'cpu', 'cpu']);
    }
    const slot = gpu.slots.status()[0];
    assert.equal(slot.loads, 1, 'three jobs, one load (at preload)');
    assert.deepEqual(slot.models.map((m) => [m.id, m.users]), [['tiny', 0]]);
    assert.equal(await coordinator.queues.queue('gpu.tiny').getCompletedCount(), 3, 'the jobs went through the model\'s queue');
  });

  it('keeps the classical matte on the CPU workers', async () => {
    const run = await shoot(4, { method: 'classical' });
    assert.equal(run.plan.nodes.cut.resource, 'cpu');
    const completedBefore = await coordinator.queues.queues.cpu.getCompletedCount();
    await coordinator.startRuns([run]);
    const [row] = await finished([run.runId]);
    assert.equal(row.status, 'completed', row.error ?? '');
    assert.equal(row.outputs.cut.cutout.meta.method, 'classical');
    assert.equal(await coordinator.queues.queues.cpu.getCompletedCount(), completedBefore + 2, 'both nodes ran on the cpu queue');
  });
});
