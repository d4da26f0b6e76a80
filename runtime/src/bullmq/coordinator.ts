import type { Redis } from 'ioredis';
import { effectiveParams, resolveInputs } from '../scheduler';
import type { NodeLogger } from '../contract';
import { CommitOutcomeUnknownError, PgRunStore, jobFor, retryWithBackoff, type ApplyResult, type JobSpec, type NewRun, type RunEventItem } from '../store';
import { GroupCommitter } from './batcher';
import { NoticePublisher } from './notices';
import { NodeQueues } from './queues';

export interface RunCoordinatorOptions {
  /** How long a batch of completions keeps retrying a lost database connection (5 min). */
  completionRetryMs?: number;
  log?: Pick<NodeLogger, 'warn'>;
}

/**
 * Ties the durable store to the queues: apply events in a transaction, then enqueue what became
 * ready and publish notices. Used by the API (start, cancel) and by workers (completions).
 */
export class RunCoordinator {
  private readonly committer: GroupCommitter<RunEventItem>;

  constructor(
    readonly store: PgRunStore,
    readonly queues: NodeQueues,
    readonly notices: NoticePublisher,
    private readonly options: RunCoordinatorOptions = {},
  ) {
    this.committer = new GroupCommitter((items) => this.applyNow(items));
  }

  static create(store: PgRunStore, redis: Redis, prefix: string, queues?: NodeQueues, options?: RunCoordinatorOptions): RunCoordinator {
    return new RunCoordinator(store, queues ?? new NodeQueues(redis, prefix), new NoticePublisher(redis, prefix), options);
  }

  async startRuns(runs: NewRun[]): Promise<void> {
    const result = await this.store.createRuns(runs);
    await this.dispatch(result);
  }

  /**
   * The run an earlier request with this key created, if any. Its jobs are re-added (a no-op when
   * they exist): if that request's COMMIT landed but its answer was lost, nothing enqueued them.
   */
  async runWithIdempotencyKey(tenantId: string, key: string): Promise<string | null> {
    const runId = await this.store.runWithIdempotencyKey(tenantId, key);
    if (runId) await this.reconcile([runId]);
    return runId;
  }

  /** Records an event; resolves once it is committed and its consequences are enqueued. */
  submit(item: RunEventItem): Promise<void> {
    return this.committer.submit(item);
  }

  /** Applies events now (not batched) and reports what they changed: for API calls that must answer 409. */
  async applyDirect(items: RunEventItem[]): Promise<ApplyResult> {
    const result = await this.store.applyEvents(items);
    await this.dispatch(result);
    return result;
  }

  async cancel(runId: string, reason = 'cancelled by user'): Promise<ApplyResult> {
    return this.applyDirect([{ runId, event: { kind: 'cancel', reason } }]);
  }

  /** A new run re-executing `fromNodeId` and its descendants, reusing every other output of the parent. */
  async replay(parentRunId: string, fromNodeId: string, params: Record<string, unknown> | undefined, newRunId: string, userId: string | null): Promise<void> {
    const result = await this.store.replay(parentRunId, fromNodeId, params, newRunId, { kind: 'test', priceCredits: 0, userId });
    await this.dispatch(result);
  }

  /**
   * Re-adds every job PostgreSQL says should exist (after a Redis restart or a crash between commit
   * and enqueue), for all runs or the `only` ones. Deterministic job ids make this safe any time.
   */
  async reconcile(only?: readonly string[]): Promise<number> {
    const jobs: JobSpec[] = [];
    for (const { def, snapshot } of await this.store.activeRuns(only)) {
      for (const [nodeId, node] of Object.entries(snapshot.nodes)) {
        if (node.state !== 'queued' && node.state !== 'running') continue;
        jobs.push(jobFor(def, nodeId, node.generation, resolveInputs(def.plan, snapshot, nodeId), effectiveParams(def.plan, snapshot, nodeId)));
      }
    }
    await this.queues.enqueue(jobs);
    return jobs.length;
  }

  /**
   * Worker completions survive a lost database connection: the batch is retried with backoff. That
   * is safe even when a COMMIT's outcome is unknown: every event names its node's generation and the
   * scheduler ignores one for a node no longer queued or running at that generation, ledger keys are
   * unique, and cache/artifact rows are insert-if-absent. If that first COMMIT did land, its jobs
   * were never enqueued (the answer was lost), so the affected runs are reconciled afterwards.
   */
  private async applyNow(items: RunEventItem[]): Promise<void> {
    let unknownCommit = false;
    const result = await retryWithBackoff(() => this.store.applyEvents(items), {
      budgetMs: this.options.completionRetryMs ?? 5 * 60_000,
      initialDelayMs: 200,
      maxDelayMs: 5000,
      onRetry: (err, attempt, delayMs) => {
        if (err instanceof CommitOutcomeUnknownError) unknownCommit = true;
        this.options.log?.warn('committing completions failed; retrying', { error: String(err), attempt, delayMs, events: items.length });
      },
    });
    await this.dispatch(result);
    // Best effort: the API's periodic reconciliation covers these runs too.
    if (unknownCommit) await this.reconcile([...new Set(items.map((i) => i.runId))]).catch(() => undefined);
  }

  private async dispatch(result: ApplyResult): Promise<void> {
    await this.queues.enqueue(result.jobs);
    this.notices.publish(result.notices);
    this.notices.abort(result.aborts);
  }
}
