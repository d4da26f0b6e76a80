import type { PortValue, PortValues } from '../contract/values';
import type { NodeRunState, RunStatus } from './state';

export type ReviewDecision = 'approve' | 'reject' | 'retry';

export type SchedulerEvent =
  | { kind: 'start' }
  | { kind: 'node_succeeded'; nodeId: string; generation: number; outputs: PortValues; cached?: boolean }
  | { kind: 'node_failed'; nodeId: string; generation: number; error: string }
  /** A person's decision on a parked review node; `retry` re-runs `rerunFrom` (default: its upstream) with `params`. */
  | {
      kind: 'review_decided';
      nodeId: string;
      generation: number;
      decision: ReviewDecision;
      note?: string;
      rerunFrom?: string;
      params?: Record<string, unknown>;
    }
  /** Re-run a node and everything downstream of it inside this run, optionally with new params. */
  | { kind: 'rerun'; fromNodeId: string; params?: Record<string, unknown>; reason: string }
  | { kind: 'cancel'; reason: string }
  /** Resume a failed run from its failed node (dead-letter re-drive); charges again. */
  | { kind: 'redrive'; reason: string };

export type Decision =
  /** Dispatch a node with its resolved inputs and effective params. */
  | { kind: 'enqueue'; nodeId: string; generation: number; inputs: Record<string, PortValue>; params: Record<string, unknown> }
  /** Persist a node state change (and its param override when it changed). */
  | {
      kind: 'node_state';
      nodeId: string;
      state: NodeRunState;
      outputs?: PortValues;
      error?: string;
      params?: Record<string, unknown>;
    }
  /** Stop work already dispatched (cancel, fail-fast, re-run). */
  | { kind: 'abort'; nodeId: string; generation: number }
  | { kind: 'run_status'; status: RunStatus; outputs?: Record<string, PortValues>; error?: string }
  /** Return the run's credits; the store makes it exactly-once. */
  | { kind: 'refund'; reason: string }
  /** Charge the run's price again (a re-driven run starts a new billing round). */
  | { kind: 'charge'; reason: string };
