import type { PortValue, PortValues } from '../contract/values';
import type { NodeRunState, RunStatus } from './state';

export type SchedulerEvent =
  | { kind: 'start' }
  | { kind: 'node_succeeded'; nodeId: string; generation: number; outputs: PortValues; cached?: boolean }
  | { kind: 'node_failed'; nodeId: string; generation: number; error: string }
  | { kind: 'cancel'; reason: string };

export type Decision =
  /** Dispatch a node with its resolved inputs. */
  | { kind: 'enqueue'; nodeId: string; generation: number; inputs: Record<string, PortValue> }
  /** Persist a node state change. */
  | { kind: 'node_state'; nodeId: string; state: NodeRunState; outputs?: PortValues; error?: string }
  /** Stop work already dispatched (cancel / fail fast). */
  | { kind: 'abort'; nodeId: string; generation: number }
  | { kind: 'run_status'; status: RunStatus; outputs?: Record<string, PortValues>; error?: string }
  /** Return the run's credits; the store makes it exactly-once. */
  | { kind: 'refund'; reason: string };
