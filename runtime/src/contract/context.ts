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
