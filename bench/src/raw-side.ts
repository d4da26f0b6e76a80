import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import IORedis, { type Redis } from 'ioredis';
import type { BenchShape } from './graphs';
import { probe } from './probe';
import { deleteKeys } from './redis-keys';
import type { BatchResult, BenchSide, OneResult } from './side';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

interface RawJob {
  runId: string;
  nodeId: string;
  shape: string;
}

/**
 * The baseline: a plain BullMQ Worker whose processor, on completion, adds the next job(s) itself.
 * Fan-in joins count arrivals with one HINCRBY per (run, join) and enqueue the join on the last one.
 * Same Redis, same job options as ours (deterministic jobId, 3 attempts with backoff,
 * removeOnComplete 2000), same concurrency. Connections are plain ioredis as BullMQ documents them
 * (maxRetriesPerRequest: null).
 */
export class RawSide implements BenchSide {
  readonly name = 'raw BullMQ';
  readonly prefix = hashTaggedPrefix(`sfbench-raw-${randomBytes(4).toString('hex')}`);
  private readonly shapes = new Map<string, BenchShape>();
  private readonly pendingSinks = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private apiConn!: Redis;
  private workerConn!: Redis;
  private apiQueue!: Queue<RawJob>;
  private workerQueue!: Queue<RawJob>;
  private worker!: Worker<RawJob>;

  constructor(
    private readonly redisUrl: string,
    private readonly concurrency: number,
  ) {}

  async start(): Promise<void> {
    const options = { maxRetriesPerRequest: null };
    this.apiConn = new IORedis(this.redisUrl, options);
    this.workerConn = new IORedis(this.redisUrl, options);
    this.apiQueue = new Queue<RawJob>('raw', { connection: this.apiConn, prefix: this.prefix });
    this.workerQueue = new Queue<RawJob>('raw', { connection: this.workerConn, prefix: this.prefix });
    this.worker = new Worker<RawJob>('raw', (job) => this.process(job), {
      connection: this.workerConn,
      prefix: this.prefix,
      concurrency: this.concurrency,
      autorun: true,
    });
    this.worker.on('error', (err) => console.error('raw worker error', err));
    await this.worker.waitUntilReady();
  }

  private opts(runId: string, nodeId: string): JobsOptions {
    return {
      jobId: `${runId}.${nodeId}.1`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
      removeOnComplete: { count: 2000 },
      removeOnFail: { count: 5000 },
    };
  }

  private async process(job: Job<RawJob>): Promise<void> {
    const { runId, nodeId } = job.data;
    probe.hit(runId, nodeId);
    const shape = this.shapes.get(job.data.shape)!;
    const next: string[] = [];
    const counts = await Promise.all(
      shape.downstream[nodeId].map(async (d) => {
        const need = shape.upstreamCount[d];
        if (need === 1) return true;
        return (await this.workerConn.hincrby(`${this.prefix}:join:${runId}`, d, 1)) === need;
      }),
    );
    shape.downstream[nodeId].forEach((d, i) => counts[i] && next.push(d));
    if (next.length) {
      await this.workerQueue.addBulk(next.map((d) => ({ name: 'noop', data: { runId, nodeId: d, shape: shape.name }, opts: this.opts(runId, d) })));
    } else if (shape.downstream[nodeId].length === 0) {
      const left = (this.pendingSinks.get(runId) ?? 1) - 1;
      if (left > 0) this.pendingSinks.set(runId, left);
      else {
        this.pendingSinks.delete(runId);
        this.waiters.get(runId)?.();
      }
    }
  }

  private async submit(shape: BenchShape, runIds: string[]): Promise<Array<Promise<void>>> {
    this.shapes.set(shape.name, shape);
    const done = runIds.map((id) => {
      this.pendingSinks.set(id, shape.sinks.length);
      return new Promise<void>((resolve) => this.waiters.set(id, () => {
        this.waiters.delete(id);
        resolve();
      }));
    });
    await this.apiQueue.addBulk(
      runIds.flatMap((runId) => shape.roots.map((r) => ({ name: 'noop', data: { runId, nodeId: r, shape: shape.name }, opts: this.opts(runId, r) }))),
    );
    return done;
  }

  async runBatch(shape: BenchShape, count: number): Promise<BatchResult> {
    const runIds = Array.from({ length: count }, () => randomUUID());
    const before = probe.executions;
    const t0 = performance.now();
    const done = await this.submit(shape, runIds);
    await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    return { runIds, seconds, executions: probe.executions - before, failed: 0 };
  }

  async runOne(shape: BenchShape): Promise<OneResult> {
    const runId = randomUUID();
    const t0 = performance.now();
    const [done] = await this.submit(shape, [runId]);
    await done;
    return { runId, wallMs: performance.now() - t0 };
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.apiQueue.close();
    await this.workerQueue.close();
    await deleteKeys(this.apiConn, this.prefix);
    this.apiConn.disconnect();
    this.workerConn.disconnect();
  }
}
