import { randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts';
import { roundUsd, type ModelAccess, type NodeCatalog, type NodeCost, type NodeLogger, type PortValue, type PortValues, type RunInfo } from '../contract';
import type { GraphDoc } from '../graph';
import { planRun } from '../runs/plan-run';
import { decide, initialSnapshot, type Decision, type Materialize, type RunSnapshot } from '../scheduler';
import { createNodeContext } from '../worker/node-context';
import { runWithTimeout } from '../worker/timeout';
import { CostMeter, DEFAULT_COST_RATES, type CostRates } from '../worker/cost-meter';

export interface LocalRunOptions {
  catalog: NodeCatalog;
  artifacts: ArtifactStore;
  /** Values bound to the nodes that declare them as seeds, e.g. `{ upload }` for every input-image node. */
  seeds?: Record<string, PortValue>;
  concurrency?: number;
  log?: NodeLogger;
  onEvent?: (event: LocalRunEvent) => void;
  timeoutMs?: number;
  /** Default consumed: only the final nodes' outputs are returned, so nothing else needs every output. */
  materialize?: Materialize;
  /** A model pool (the GPU runtime's, for a CLI on a machine with models); without one, model nodes fail clearly. */
  models?: ModelAccess;
  /** What GPU time and stored bytes cost; default DEFAULT_COST_RATES. */
  costRates?: CostRates;
}

export type LocalRunEvent =
  | { type: 'node.started'; nodeId: string }
  | { type: 'node.progress'; nodeId: string; progress: number; message?: string }
  | { type: 'node.completed'; nodeId: string; durationMs: number; outputs: PortValues; cost: NodeCost }
  | { type: 'node.failed'; nodeId: string; error: string };

export interface LocalRunResult {
  runId: string;
  snapshot: RunSnapshot;
  /** Outputs of the sink nodes when the run completed. */
  outputs: Record<string, PortValues>;
  error?: string;
  /** What each node that ran cost, and the run's total (US dollars). */
  costs: Record<string, NodeCost>;
  costUsd: number;
}

/** The same pure scheduler, driven in-process with no PostgreSQL or Redis: for the CLI and tests. */
export async function runGraphLocally(doc: GraphDoc, options: LocalRunOptions): Promise<LocalRunResult> {
  const { plan, seedInputs } = await planRun(doc, options.catalog.descriptors, {
    materialize: options.materialize ?? 'consumed',
    seeds: options.seeds,
    place: options.catalog.place,
  });
  const runId = randomUUID();
  const info: RunInfo = { runId, tenantId: 'local' };
  let snapshot: RunSnapshot = { ...initialSnapshot(plan, seedInputs), runId };
  const ready: Array<Extract<Decision, { kind: 'enqueue' }>> = [];
  const result: LocalRunResult = { runId, snapshot, outputs: {}, costs: {}, costUsd: 0 };
  const controller = new AbortController();

  const apply = (event: Parameters<typeof decide>[2]): void => {
    const outcome = decide(plan, snapshot, event);
    snapshot = outcome.snapshot;
    for (const d of outcome.decisions) {
      if (d.kind === 'enqueue') ready.push(d);
      if (d.kind === 'run_status' && d.status === 'completed') result.outputs = d.outputs ?? {};
      if (d.kind === 'run_status' && d.status === 'failed') result.error = d.error;
      if (d.kind === 'abort') controller.abort(new Error('run failed'));
    }
  };

  const execute = async (job: Extract<Decision, { kind: 'enqueue' }>): Promise<void> => {
    const node = plan.nodes[job.nodeId];
    const def = options.catalog.get(node.type);
    // Per node: a timeout aborts this node's signal; a failed run aborts every running node.
    const nodeController = new AbortController();
    const abortNode = () => nodeController.abort(controller.signal.reason);
    controller.signal.addEventListener('abort', abortNode, { once: true });
    const meter = new CostMeter(options.costRates ?? DEFAULT_COST_RATES);
    const artifacts = options.artifacts.access();
    const ctx = createNodeContext({
      run: info,
      nodeId: job.nodeId,
      artifacts,
      onCost: meter.record,
      signal: nodeController.signal,
      log: options.log,
      wants: node.wants,
      ...(options.models ? { models: options.models } : {}),
      ...(node.model ? { model: node.model.id } : {}),
      onProgress: (progress, message) => options.onEvent?.({ type: 'node.progress', nodeId: job.nodeId, progress, message }),
    });
    const started = Date.now();
    options.onEvent?.({ type: 'node.started', nodeId: job.nodeId });
    try {
      const outputs = await runWithTimeout(() => def.run(ctx, job.inputs, job.params), options.timeoutMs ?? node.timeoutMs, nodeController);
      const durationMs = Date.now() - started;
      if (node.resource === 'gpu') meter.gpuTime(durationMs);
      meter.storage(artifacts.written);
      const cost = meter.total();
      result.costs[job.nodeId] = cost;
      result.costUsd = roundUsd(result.costUsd + cost.usd);
      options.onEvent?.({ type: 'node.completed', nodeId: job.nodeId, durationMs, outputs, cost });
      apply({ kind: 'node_succeeded', nodeId: job.nodeId, generation: job.generation, outputs });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      options.onEvent?.({ type: 'node.failed', nodeId: job.nodeId, error });
      apply({ kind: 'node_failed', nodeId: job.nodeId, generation: job.generation, error });
    } finally {
      controller.signal.removeEventListener('abort', abortNode);
    }
  };

  apply({ kind: 'start' });
  const limit = Math.max(1, options.concurrency ?? 2);
  const running = new Set<Promise<void>>();
  while (ready.length || running.size) {
    while (ready.length && running.size < limit) {
      const p: Promise<void> = execute(ready.shift()!).finally(() => running.delete(p));
      running.add(p);
    }
    if (running.size) await Promise.race(running);
  }
  result.snapshot = snapshot;
  return result;
}
