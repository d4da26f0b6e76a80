import type { CostPart } from './cost';
import type { ArtifactRef } from './values';

export interface PutArtifactOptions {
  mime: string;
  width?: number;
  height?: number;
  meta?: Record<string, unknown>;
}

/** Artifact access for a running node. Bytes go to the store; only refs go through queues. */
export interface ArtifactAccess {
  get(ref: ArtifactRef | string): Promise<Buffer>;
  /** Local file path of an artifact, for libraries that read files (sharp does both). */
  path(ref: ArtifactRef | string): Promise<string>;
  put(bytes: Buffer, options: PutArtifactOptions): Promise<ArtifactRef>;
}

export interface NodeLogger {
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

/** Facts about the run a node may embed in its output (traceability) or use for cost accounting. */
export interface RunInfo {
  runId: string;
  tenantId: string;
  graphId?: string;
  graphVersion?: number;
  templateId?: string;
}

/** Where a node's work runs: the CPU, or one GPU by its CUDA device index. */
export type Device = 'cpu' | `cuda:${number}`;

/** A model held for one job: a warm session from the host's pool, returned with release(). */
export interface ModelHandle<Session = unknown, Spec = unknown> {
  id: string;
  session: Session;
  /** What the session actually runs on (a CUDA request may have fallen back to the CPU). */
  provider: 'cpu' | 'cuda';
  device: Device;
  /** The model's configuration (for a segmentation model: input size, normalisation, licence). */
  spec: Spec;
  release(): void;
}

/** The host's warm model pool as a node sees it. Hosts without a pool throw a permanent error. */
export interface ModelAccess {
  acquire<Session = unknown, Spec = unknown>(modelId: string): Promise<ModelHandle<Session, Spec>>;
}

/** Acquires a model for the length of `work` and always releases it. */
export async function useModel<Session, Spec, T>(models: ModelAccess, modelId: string, work: (model: ModelHandle<Session, Spec>) => Promise<T>): Promise<T> {
  const model = await models.acquire<Session, Spec>(modelId);
  try {
    return await work(model);
  } finally {
    model.release();
  }
}

/** The model access of a process without a model pool (CPU workers, the API, the local runner). */
export const NO_MODEL_POOL: ModelAccess = {
  acquire: (modelId) =>
    Promise.reject(new PermanentNodeError(`model "${modelId}" needs the GPU runtime: this process has no model pool (the plan placed the node on a CPU worker or ran it locally)`)),
};

export interface NodeContext {
  run: RunInfo;
  nodeId: string;
  attempt: number;
  artifacts: ArtifactAccess;
  /** Report progress in [0,1]; cheap to call often (throttled by the host). */
  progress(fraction: number, message?: string): void;
  /** Aborted on timeout or cancel: long work must check it or pass it on. */
  signal: AbortSignal;
  log: NodeLogger;
  /**
   * Whether anything in this run uses output `port`. False only when the run materialises consumed
   * outputs alone (template runs) and nothing consumes it: a node may then skip producing an
   * expensive optional artifact. Editor runs and a graph's last nodes want every output.
   */
  wants(port: string): boolean;
  /** The device of the slot running this job ('cpu' on CPU workers). */
  device: Device;
  /** The warm model pool of this slot; only the GPU runtime has one. */
  models: ModelAccess;
  /** The model id the plan placed this node for (NodePlacement.model), if any. */
  model?: string;
  /**
   * Reports money this job spent that the host cannot see, e.g. a cloud model's price per image.
   * The host adds GPU time and the storage of the artifacts put by itself; every part is summed
   * into the node's cost. Call once per charge (a retried attempt reports its own).
   */
  cost(part: CostPart): void;
}

/** NodeContext.wants for a list of consumed outputs (undefined: all). */
export function wantsFrom(ports: readonly string[] | undefined): (port: string) => boolean {
  if (!ports) return () => true;
  const set = new Set(ports);
  return (port) => set.has(port);
}

/** Thrown for failures that retrying cannot fix (bad input, missing model): no further attempts. */
export class PermanentNodeError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'PermanentNodeError';
  }
}

export function isPermanentError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: boolean }).permanent === true;
}
