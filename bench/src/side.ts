import type { BenchShape } from './graphs';

/** What the scheduling sections need from each side (ours, raw BullMQ). */
export interface BenchSide {
  readonly name: string;
  readonly prefix: string;
  start(): Promise<void>;
  /** Starts `count` runs of the shape at once and resolves when every one has finished. */
  runBatch(shape: BenchShape, count: number): Promise<BatchResult>;
  /** One run, alone; resolves as soon as its sink has completed. */
  runOne(shape: BenchShape): Promise<OneResult>;
  close(): Promise<void>;
}

export interface BatchResult {
  runIds: string[];
  seconds: number;
  executions: number;
  /** Runs that did not complete successfully (must be 0). */
  failed: number;
}

export interface OneResult {
  runId: string;
  wallMs: number;
}
