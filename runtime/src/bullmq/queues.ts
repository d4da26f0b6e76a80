import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Resource } from '../graph';
import type { JobSpec, NodeJobData } from '../store';

export const RESOURCES: readonly Resource[] = ['cpu', 'gpu', 'cloud'];

/**
 * Attempts and backoff come per node from the plan; this switch only turns retries off everywhere
 * (the bench compares the bookkeeping cost with and without).
 */
export interface RetryPolicy {
  enabled: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { enabled: true };
export const NO_RETRY: RetryPolicy = { enabled: false };

/**
 * One BullMQ queue per resource kind, plus per-model queues made on first use; jobs carry refs, never pixels.
 * A host framework may hand in queues it opened (the API's Nest BullModule): those are used, and closed by
 * their owner, not by `close()`.
 */
export class NodeQueues {
  readonly queues: Record<Resource, Queue<NodeJobData>>;
  /** Queues of nodes placed for a model (`gpu.<model id>`, see queueFor). */
  readonly modelQueues = new Map<string, Queue<NodeJobData>>();
  private readonly opened: Queue<NodeJobData>[] = [];

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly onError: (err: Error) => void = () => undefined,
    given: readonly Queue<NodeJobData>[] = [],
  ) {
    const byName = new Map(given.map((q) => [q.name, q]));
    const use = (name: string) => byName.get(name) ?? this.open(name);
    this.queues = { cpu: use('cpu'), gpu: use('gpu'), cloud: use('cloud') };
    for (const q of given) {
      if (!Object.hasOwn(this.queues, q.name)) this.modelQueues.set(q.name, q);
      // A Queue re-emits its connection's errors; unheard, an 'error' event would end the process.
      // While Redis restarts, commands wait in ioredis's offline queue and reconciliation re-adds jobs.
      q.on('error', onError);
    }
  }

  private open(name: string): Queue<NodeJobData> {
    const queue = new Queue<NodeJobData>(name, { connection: this.connection, prefix: this.prefix });
    queue.on('error', this.onError);
    this.opened.push(queue);
    return queue;
  }

  queue(name: string): Queue<NodeJobData> {
    if (Object.hasOwn(this.queues, name)) return this.queues[name as Resource];
    let queue = this.modelQueues.get(name);
    if (!queue) {
      queue = this.open(name);
      this.modelQueues.set(name, queue);
    }
    return queue;
  }

  /** Every queue opened so far by name: the resource queues and the per-model queues (metrics, Bull Board). */
  all(): Record<string, Queue<NodeJobData>> {
    return { ...this.queues, ...Object.fromEntries(this.modelQueues) };
  }

  jobOptions(job: Pick<JobSpec, 'jobId' | 'attempts' | 'backoffMs' | 'priority'>): JobsOptions {
    return {
      jobId: job.jobId,
      // Fair shares across tenants (scheduler/fairness.ts): a busy tenant's jobs wait behind a quiet one's.
      ...(job.priority ? { priority: job.priority } : {}),
      attempts: this.retry.enabled ? Math.max(1, job.attempts) : 1,
      backoff: { type: 'exponential', delay: job.backoffMs, jitter: 0.5 },
      removeOnComplete: { count: 2000 },
      removeOnFail: { count: 5000 },
    };
  }

  /** Adds jobs in one round trip per queue; a deterministic jobId makes a repeated add a no-op. */
  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    const byQueue = new Map<string, JobSpec[]>();
    for (const j of jobs) {
      const list = byQueue.get(j.queue);
      if (list) list.push(j);
      else byQueue.set(j.queue, [j]);
    }
    await Promise.all(
      [...byQueue].map(([q, list]) =>
        this.queue(q).addBulk(list.map((j) => ({ name: j.data.type, data: j.data, opts: this.jobOptions(j) }))),
      ),
    );
  }

  /** Closes the queues this object opened (given ones are their owner's to close). */
  async close(): Promise<void> {
    await Promise.all(this.opened.map((q) => q.close()));
  }
}
