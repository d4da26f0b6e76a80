import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isPermanentError, type NodeCatalog, type NodeLogger } from '../contract';
import type { ArtifactStore } from '../artifacts';
import type { Resource } from '../graph';
import type { NodeJobData } from '../store';
import { controlChannel } from '../bullmq/connection';
import { parseBatch } from '../bullmq/notices';
import { cpuSlots, type ExecutionSlots, type SlotLease } from './execution-slots';
import type { RunCoordinator } from '../bullmq/coordinator';
import { runWithTimeout } from './timeout';
import { createNodeContext } from './node-context';
import { NodeLogTap } from './node-log-tap';
import { CostMeter, DEFAULT_COST_RATES, type CostRates } from './cost-meter';
import { DEFAULT_TIMEOUT_MS } from '../scheduler/plan';

export interface WorkerHostOptions {
  connection: Redis;
  /** A separate connection for the control channel (a subscribed client can do nothing else). */
  subscriber: Redis;
  prefix: string;
  resources: readonly Resource[];
  concurrency: Partial<Record<Resource, number>>;
  /** The slots a resource's jobs run on (the GPU runtime's device-bound slots); default: `concurrency` CPU slots. */
  slots?: Partial<Record<Resource, ExecutionSlots>>;
  /** Further queues served on a resource's slots: the per-model queues (`gpu.<model id>`) of the models this host keeps warm. */
  queues?: Partial<Record<Resource, readonly string[]>>;
  catalog: NodeCatalog;
  artifacts: ArtifactStore;
  coordinator: RunCoordinator;
  log: NodeLogger;
  /** A logger whose every line carries the run and node ids. */
  logFor?: (bindings: { runId: string; nodeId: string; type: string }) => NodeLogger;
  defaultTimeoutMs?: number;
  /** What GPU time and stored bytes cost (costRatesFromEnv); default DEFAULT_COST_RATES. */
  costRates?: CostRates;
  /** BullMQ lock and stalled-check timing: how fast a job of a killed worker is picked up again. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Runs node jobs from the resource queues; a completion counts only once it is committed to PostgreSQL. */
export class NodeWorkerHost {
  private readonly workers: Worker<NodeJobData>[] = [];
  private readonly active = new Map<string, AbortController>();
  /** Jobs aborted on purpose (cancel, re-run): never retried. Timeouts are retried. */
  private readonly cancelled = new Set<string>();

  constructor(private readonly options: WorkerHostOptions) {}

  async start(): Promise<void> {
    const o = this.options;
    await o.subscriber.subscribe(controlChannel(o.prefix));
    o.subscriber.on('message', (_channel, message) => {
      for (const msg of parseBatch<{ kind: string; runId: string; nodeId: string; generation: number }>(message)) {
        const key = `${msg.runId}.${msg.nodeId}.${msg.generation}`;
        const controller = this.active.get(key);
        if (msg.kind === 'abort' && controller) {
          this.cancelled.add(key);
          controller.abort(new Error('cancelled'));
        }
      }
    });
    for (const resource of o.resources) {
      const limit = o.concurrency[resource] ?? 1;
      const slots = o.slots?.[resource] ?? cpuSlots(limit);
      for (const queue of [resource, ...(o.queues?.[resource] ?? [])]) {
        // A job keeps its BullMQ slot until its completion is committed (group commit, ~10 ms under
        // load). Extra BullMQ slots let the next nodes start meanwhile; the execution slots still cap
        // the node work itself at the configured concurrency.
        const worker = new Worker<NodeJobData>(queue, (job) => this.process(job, resource, slots), {
          connection: o.connection,
          prefix: o.prefix,
          concurrency: limit * 3,
          autorun: true,
          ...(o.lockDurationMs ? { lockDuration: o.lockDurationMs } : {}),
          ...(o.stalledIntervalMs ? { stalledInterval: o.stalledIntervalMs } : {}),
          maxStalledCount: 3,
        });
        worker.on('error', (err) => o.log.error('worker error', { queue, error: String(err) }));
        this.workers.push(worker);
      }
    }
  }

  /** Stops taking jobs and waits for the active ones to finish (graceful shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.options.subscriber.unsubscribe().catch(() => undefined);
  }

  private async process(job: Job<NodeJobData>, resource: Resource, slots: ExecutionSlots): Promise<void> {
    const o = this.options;
    const d = job.data;
    const def = o.catalog.get(d.type);
    const key = `${d.runId}.${d.nodeId}.${d.generation}`;
    const controller = new AbortController();
    this.active.set(key, controller);
    const startedAt = new Date();
    const artifacts = o.artifacts.access();
    const notice = { runId: d.runId, tenantId: d.tenantId, nodeId: d.nodeId };
    // attemptsMade counts failed attempts only; a job re-run because its worker died (stalled) is
    // counted in attemptsStarted, so the history records every execution.
    const attempt = Math.max(job.attemptsMade + 1, job.attemptsStarted ?? 0);
    o.coordinator.notices.publish([{ type: 'node.started', ...notice, attempt }]);
    let lastProgress = 0;
    const logTap = new NodeLogTap(o.logFor?.({ runId: d.runId, nodeId: d.nodeId, type: d.type }) ?? o.log, attempt, (line) =>
      o.coordinator.notices.publish([{ type: 'node.log', ...notice, ...line }]),
    );
    const meter = new CostMeter(o.costRates ?? DEFAULT_COST_RATES);
    // The context is made on the slot the job gets: its device and warm model pool are part of it.
    const contextOn = (slot: SlotLease) => createNodeContext({
      device: slot.device,
      models: slot.models,
      run: d.run,
      nodeId: d.nodeId,
      attempt,
      artifacts,
      signal: controller.signal,
      log: logTap.logger,
      wants: d.wants,
      ...(d.model ? { model: d.model } : {}),
      onCost: meter.record,
      onProgress: (fraction, message) => {
        const now = Date.now();
        if (now - lastProgress < 100 && fraction < 1) return; // throttle socket traffic
        lastProgress = now;
        o.coordinator.notices.publish([{ type: 'node.progress', ...notice, progress: Math.max(0, Math.min(1, fraction)), message }]);
      },
    });
    try {
      const timeoutMs = d.timeoutMs ?? def.timeoutMs ?? o.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
      const outputs = await slots.run(d.model, async (slot) => {
        const onSlotSince = Date.now();
        try {
          return await runWithTimeout(() => def.run(contextOn(slot), d.inputs, d.params), timeoutMs, controller);
        } finally {
          if (resource === 'gpu') meter.gpuTime(Date.now() - onSlotSince);
        }
      });
      meter.storage(artifacts.written);
      await o.coordinator.submit({
        runId: d.runId,
        event: { kind: 'node_succeeded', nodeId: d.nodeId, generation: d.generation, outputs },
        startedAt,
        finishedAt: new Date(),
        attempts: attempt,
        artifacts: artifacts.written,
        cost: meter.total(),
        logs: logTap.lines(),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const permanent = isPermanentError(err) || this.cancelled.has(key);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (permanent || lastAttempt) {
        // The failure is the line a debugging engineer looks for first: it goes to the node's log too.
        logTap.logger.error(`failed: ${message}`);
        await o.coordinator.submit({
          runId: d.runId,
          event: { kind: 'node_failed', nodeId: d.nodeId, generation: d.generation, error: message },
          startedAt,
          finishedAt: new Date(),
          attempts: attempt,
          logs: logTap.lines(),
        });
        throw new UnrecoverableError(message);
      }
      logTap.logger.warn(`attempt ${attempt} failed, will retry: ${message}`);
      throw err;
    } finally {
      this.active.delete(key);
      this.cancelled.delete(key);
    }
  }
}
