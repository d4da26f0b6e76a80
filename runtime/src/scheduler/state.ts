import type { PortValues } from '../contract/values';

export type NodeRunState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'done'
  | 'cached'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'awaiting_review';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'awaiting_review';

export interface NodeStatus {
  state: NodeRunState;
  /** How many times the scheduler has dispatched this node (a re-run bumps it; job ids include it). */
  generation: number;
  outputs?: PortValues;
  error?: string;
  /** Param overrides for this node in this run (reviewer adjustments, retry gates). */
  params?: Record<string, unknown>;
}

/** Everything the scheduler needs to decide, loaded from the store (or kept in memory locally). */
export interface RunSnapshot {
  /** The run's id, when known: retry gates derive their new seeds from it (decide stays pure). */
  runId?: string;
  status: RunStatus;
  nodes: Record<string, NodeStatus>;
  /** Values bound to node inputs from outside the graph, e.g. the uploaded photo for input-image. */
  seedInputs: Record<string, PortValues>;
}

export const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);
export const FINISHED_NODE: ReadonlySet<NodeRunState> = new Set(['done', 'cached']);
