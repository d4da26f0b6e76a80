import { NO_MODEL_POOL, wantsFrom, type ArtifactAccess, type CostPart, type Device, type ModelAccess, type NodeContext, type NodeLogger, type RunInfo } from '../contract';

/** What a host knows when it runs a node; the context a node sees is made from this alone. */
export interface NodeContextOptions {
  run: RunInfo;
  nodeId: string;
  /** Counted from 1. */
  attempt?: number;
  artifacts: ArtifactAccess;
  /** Aborted on timeout or cancel. */
  signal: AbortSignal;
  log?: NodeLogger;
  /** The outputs something in the run consumes (the plan node's `wants`); absent: all of them. */
  wants?: readonly string[];
  /** Where the node's progress reports go; a host that forwards them over a network throttles here. */
  onProgress?: (fraction: number, message?: string) => void;
  /** The slot's device; default the CPU. */
  device?: Device;
  /** The slot's warm model pool; default none (CPU workers, the API): asking for a model fails clearly. */
  models?: ModelAccess;
  /** The model id the plan placed this node for. */
  model?: string;
  /** Where ctx.cost reports go (a CostMeter's record); default: dropped. */
  onCost?: (part: CostPart) => void;
}

export const silentLogger: NodeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The one NodeContext factory: the worker host, the local runner and the test harness all use it. */
export function createNodeContext(options: NodeContextOptions): NodeContext {
  const { onProgress } = options;
  return {
    run: options.run,
    nodeId: options.nodeId,
    attempt: options.attempt ?? 1,
    artifacts: options.artifacts,
    signal: options.signal,
    log: options.log ?? silentLogger,
    wants: wantsFrom(options.wants),
    progress: onProgress ? (fraction, message) => onProgress(fraction, message) : () => undefined,
    device: options.device ?? 'cpu',
    models: options.models ?? NO_MODEL_POOL,
    ...(options.model ? { model: options.model } : {}),
    cost: options.onCost ?? (() => undefined),
  };
}
