import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, DEFAULT_RETRY, eventsChannel, NodeQueues, parseBatch, RunCoordinator, type RetryPolicy } from '@studioflow/runtime/bullmq';
import { NodeWorkerHost } from '@studioflow/runtime/worker';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { compilePlan, type RunPlan } from '@studioflow/runtime/scheduler';
import { PgRunStore, type NewRun } from '@studioflow/runtime/store';
import type { BenchShape } from './graphs';
import { probe } from './probe';
import { deleteKeys } from './redis-keys';
import type { BatchResult, BenchSide, OneResult } from './side';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

const TERMINAL = ['completed', 'failed', 'cancelled'];

/**
 * The full runtime, wired like production but in this one process: an "API" half (its own pg
 * pool + Redis connection, RunCoordinator.startRuns → PgRunStore.createRuns with credits) and a
 * "worker" half (its own pg pool, PgRunStore with a cold definition cache, Redis connections and a
 * NodeWorkerHost whose completions go through a RunCoordinator's group commit into PostgreSQL).
 * `retry` is the NodeQueues retry policy of both halves (default: 3 attempts with backoff;
 * NO_RETRY turns retries off).
 */
export class OursSide implements BenchSide {
  readonly name: string;
  readonly prefix = hashTaggedPrefix(`sfbench-ours-${randomBytes(4).toString('hex')}`);
  private db!: ScratchDatabase;
  private apiPool!: Pool;
  private workerPool!: Pool;
  private redis: Redis[] = [];
  private api!: RunCoordinator;
  private workerCoordinator!: RunCoordinator;
  private host!: NodeWorkerHost;
  private artifactsDir!: string;
  private tenantId!: string;
  private graphVersionId!: string;
  private readonly plans = new Map<string, RunPlan>();
  private subscriber: Redis | null = null;
  private readonly waiters = new Map<string, (status: string) => void>();

  constructor(
    private readonly redisUrl: string,
    private readonly concurrency: number,
    private readonly catalog: NodeCatalog,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    name = 'ours',
  ) {
    this.name = name;
  }

  async start(): Promise<void> {
    this.db = await createScratchDatabase('bench');
    this.apiPool = new Pool({ connectionString: this.db.url, max: 4 });
    this.workerPool = new Pool({ connectionString: this.db.url, max: 6 }); // as startWorkerProcess
    // pg's Pool.end() resolves before its clients have closed, so DROP DATABASE … FORCE can still hit one
    // (57P01); an idle client's error is re-emitted on the pool and crashes the process if unheard.
    for (const p of [this.apiPool, this.workerPool]) {
      p.on('error', (err: Error & { code?: string }) => {
        if (err.code !== '57P01') console.error('pg pool error', err);
      });
    }
    const conn = () => {
      const r = createRedis({ url: this.redisUrl, prefix: this.prefix });
      this.redis.push(r);
      return r;
    };
    const apiRedis = conn();
    this.api = RunCoordinator.create(new PgRunStore(this.apiPool), apiRedis, this.prefix, new NodeQueues(apiRedis, this.prefix, this.retry));
    const workerRedis = conn();
    this.workerCoordinator = RunCoordinator.create(new PgRunStore(this.workerPool), workerRedis, this.prefix, new NodeQueues(workerRedis, this.prefix, this.retry));
    this.artifactsDir = await mkdtemp(join(tmpdir(), 'sfbench-artifacts-'));
    this.host = new NodeWorkerHost({
      connection: workerRedis,
      subscriber: conn(),
      prefix: this.prefix,
      resources: ['cpu'],
      concurrency: { cpu: this.concurrency },
      catalog: this.catalog,
      artifacts: new LocalArtifactStore(this.artifactsDir),
      coordinator: this.workerCoordinator,
      log: { info: () => undefined, warn: (m, e) => console.warn(m, e), error: (m, e) => console.error(m, e) },
    });
    await this.host.start();

    const tenant = await this.apiPool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('bench', 100000000) RETURNING id`);
    this.tenantId = tenant.rows[0].id;
    const graph = await this.apiPool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'bench', '{}') RETURNING id`, [this.tenantId]);
    const version = await this.apiPool.query(
      `INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`,
      [graph.rows[0].id, this.tenantId],
    );
    this.graphVersionId = version.rows[0].id;
  }

  private newRun(shape: BenchShape): NewRun {
    let plan = this.plans.get(shape.name);
    if (!plan) this.plans.set(shape.name, (plan = compilePlan(shape.doc, this.catalog.descriptors)));
    const runId = randomUUID();
    return {
      runId,
      tenantId: this.tenantId,
      kind: 'bench',
      graphVersionId: this.graphVersionId,
      plan,
      info: { runId, tenantId: this.tenantId },
      seedInputs: {},
      priceCredits: 1,
    };
  }

  async runBatch(shape: BenchShape, count: number): Promise<BatchResult> {
    const runs = Array.from({ length: count }, () => this.newRun(shape));
    const runIds = runs.map((r) => r.runId);
    const before = probe.executions;
    const t0 = performance.now();
    await this.api.startRuns(runs);
    // Poll the source of truth; 10 ms granularity is < 1% of any batch here.
    const deadline = Date.now() + 120_000;
    let finished = 0;
    let failed = 0;
    while (finished < count) {
      if (Date.now() > deadline) throw new Error(`ours: only ${finished}/${count} runs finished in 120 s`);
      await new Promise((r) => setTimeout(r, 10));
      const res = await this.apiPool.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1::uuid[]) AND status = ANY($2) GROUP BY status`,
        [runIds, TERMINAL],
      );
      finished = res.rows.reduce((s, r) => s + r.n, 0);
      failed = res.rows.filter((r) => r.status !== 'completed').reduce((s, r) => s + r.n, 0);
    }
    const seconds = (performance.now() - t0) / 1000;
    return { runIds, seconds, executions: probe.executions - before, failed };
  }

  /** Single runs wait for the run.* notice on the events channel (sub-ms), subscribed on first use. */
  async runOne(shape: BenchShape): Promise<OneResult> {
    if (!this.subscriber) {
      const sub = createRedis({ url: this.redisUrl, prefix: this.prefix });
      this.redis.push(sub);
      sub.on('message', (_ch, message: string) => {
        if (!message.includes('"type":"run.')) return;
        for (const n of parseBatch<{ type: string; runId: string }>(message)) {
          const status = n.type.startsWith('run.') ? n.type.slice(4) : '';
          if (TERMINAL.includes(status)) this.waiters.get(n.runId)?.(status);
        }
      });
      await sub.subscribe(eventsChannel(this.prefix));
      this.subscriber = sub;
    }
    const run = this.newRun(shape);
    const done = new Promise<string>((resolve) => this.waiters.set(run.runId, resolve));
    const t0 = performance.now();
    await this.api.startRuns([run]);
    const status = await done;
    const wallMs = performance.now() - t0;
    this.waiters.delete(run.runId);
    if (status !== 'completed') throw new Error(`ours: run ${run.runId} ended ${status}`);
    return { runId: run.runId, wallMs };
  }

  /** Credits charged by the runs of this bench (sanity check that billing really ran). */
  async creditsCharged(): Promise<number> {
    const res = await this.apiPool.query(`SELECT coalesce(-sum(amount), 0)::int AS n FROM credit_ledger WHERE tenant_id = $1 AND amount < 0`, [this.tenantId]);
    return res.rows[0].n;
  }

  async close(): Promise<void> {
    await this.host?.close();
    await this.workerCoordinator?.queues.close();
    await this.api?.queues.close();
    if (this.redis[0]) await deleteKeys(this.redis[0], this.prefix);
    for (const r of this.redis) r.disconnect();
    await this.apiPool?.end();
    await this.workerPool?.end();
    await this.db?.drop();
    if (this.artifactsDir) await rm(this.artifactsDir, { recursive: true, force: true });
  }
}
