import { NO_COST, roundUsd, type NodeCost, type PortValues } from '../contract';
import type { Decision, NodeRunState, RunStatus } from '../scheduler';
import { jobFor } from './job-spec';
import { type ApplyResult, type RunDefinition, type RunEventItem, type RunNotice } from './types';

/** One row of node_runs to update, keyed by (run, node); later decisions in a batch override earlier ones. */
export interface NodeWrite {
  run_id: string;
  node_id: string;
  state: string;
  generation: number;
  set_outputs: boolean;
  outputs: unknown;
  error: string | null;
  attempts: number | null;
  set_params: boolean;
  params_override: unknown;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  set_cost: boolean;
  cost_usd: number | null;
  cost_parts: unknown;
}

export interface RunWrite {
  id: string;
  status: string;
  outputs: unknown;
  error: string | null;
  started: boolean;
  finished: boolean;
}

export interface LedgerWrite {
  run_id: string;
  tenant_id: string;
  amount: number;
  reason: string;
}

export interface DeadLetterWrite {
  tenant_id: string;
  run_id: string;
  node_id: string;
  node_type: string;
  error: string;
  attempts: number;
}

/** Collects the writes and side effects of a batch of decisions; pure bookkeeping, no I/O. */
export class WriteSet {
  readonly nodes = new Map<string, NodeWrite>();
  readonly runs = new Map<string, RunWrite>();
  readonly refunds = new Map<string, LedgerWrite>();
  readonly charges = new Map<string, LedgerWrite>();
  readonly deadLetters: DeadLetterWrite[] = [];
  /** Per run, the cost of the node executions this batch completed: added to runs.cost_usd. */
  readonly runCosts = new Map<string, number>();
  readonly result: ApplyResult = { jobs: [], notices: [], aborts: [] };

  add(def: RunDefinition, item: RunEventItem | null, decisions: Decision[], generations: Record<string, number>): void {
    const now = new Date().toISOString();
    const { runId, tenantId } = def;
    for (const d of decisions) {
      switch (d.kind) {
        case 'enqueue':
          this.result.jobs.push(jobFor(def, d.nodeId, d.generation, d.inputs, d.params));
          break;
        case 'node_state': {
          const key = `${runId}/${d.nodeId}`;
          const prev = this.nodes.get(key);
          const event = item?.event;
          const isSubject = !!event && 'nodeId' in event && event.nodeId === d.nodeId;
          const finished = d.state === 'done' || d.state === 'cached' || d.state === 'failed';
          const started = isSubject && item?.startedAt ? item.startedAt : null;
          const ended = isSubject && finished ? item?.finishedAt ?? new Date() : null;
          const reset = d.state === 'pending' || d.state === 'queued';
          const cost = costOfState(d.state, isSubject ? item : null);
          if (cost && cost.usd > 0) this.runCosts.set(runId, roundUsd((this.runCosts.get(runId) ?? 0) + cost.usd));
          this.nodes.set(key, {
            run_id: runId,
            node_id: d.nodeId,
            state: d.state,
            generation: generations[d.nodeId] ?? prev?.generation ?? 0,
            set_outputs: d.outputs !== undefined || reset || (prev?.set_outputs ?? false),
            outputs: d.outputs ?? (reset ? null : prev?.outputs ?? null),
            error: d.error ?? null,
            attempts: isSubject ? item?.attempts ?? null : prev?.attempts ?? null,
            set_params: d.params !== undefined || (prev?.set_params ?? false),
            params_override: d.params ?? prev?.params_override ?? null,
            // A parked review's queued_at is when it parked: the review console's `since`.
            queued_at: d.state === 'queued' || d.state === 'awaiting_review' ? now : prev?.queued_at ?? null,
            started_at: started ? started.toISOString() : prev?.started_at ?? null,
            finished_at: ended ? ended.toISOString() : prev?.finished_at ?? null,
            duration_ms: started && ended ? ended.getTime() - started.getTime() : prev?.duration_ms ?? null,
            set_cost: cost !== undefined || reset || (prev?.set_cost ?? false),
            cost_usd: cost ? cost.usd : reset ? null : prev?.cost_usd ?? null,
            cost_parts: cost ? cost.parts : reset ? null : prev?.cost_parts ?? null,
          });
          if (d.state === 'failed' && isSubject && event?.kind === 'node_failed') {
            this.deadLetters.push({
              tenant_id: tenantId,
              run_id: runId,
              node_id: d.nodeId,
              node_type: def.plan.nodes[d.nodeId].type,
              error: d.error ?? 'failed',
              attempts: item?.attempts ?? 1,
            });
          }
          this.result.notices.push(nodeNotice(def, d.nodeId, d.state, d.outputs, d.error, started, ended, cost));
          break;
        }
        case 'abort':
          this.result.aborts.push({ runId, nodeId: d.nodeId, generation: d.generation });
          break;
        case 'run_status': {
          const prev = this.runs.get(runId);
          const terminal = d.status === 'completed' || d.status === 'failed' || d.status === 'cancelled';
          this.runs.set(runId, {
            id: runId,
            status: d.status,
            outputs: d.outputs ?? prev?.outputs ?? null,
            error: d.status === 'running' ? null : d.error ?? prev?.error ?? null,
            started: d.status === 'running' || (prev?.started ?? false),
            finished: terminal,
          });
          const notice = runNotice(runId, tenantId, d.status, d.outputs, d.error);
          if (notice) this.result.notices.push(notice);
          break;
        }
        case 'refund':
          if (def.priceCredits > 0) this.refunds.set(runId, { run_id: runId, tenant_id: tenantId, amount: def.priceCredits, reason: d.reason });
          break;
        case 'charge':
          if (def.priceCredits > 0) this.charges.set(runId, { run_id: runId, tenant_id: tenantId, amount: def.priceCredits, reason: d.reason });
          break;
      }
    }
  }
}

/**
 * The cost a node's new state records: a fresh success what its worker measured, a node served from
 * the cache (or finished without a job, like a gate) nothing; none for other states.
 */
function costOfState(state: NodeRunState, subject: RunEventItem | null): NodeCost | undefined {
  if (state === 'cached') return NO_COST;
  if (state !== 'done') return undefined;
  const event = subject?.event;
  return event?.kind === 'node_succeeded' && !event.cached ? subject?.cost ?? NO_COST : NO_COST;
}

/** The event a run's new status is announced by (queued is announced by its nodes). */
function runNotice(runId: string, tenantId: string, status: RunStatus, outputs: Record<string, PortValues> | undefined, error: string | undefined): RunNotice | undefined {
  switch (status) {
    case 'running':
      return { type: 'run.started', runId, tenantId };
    case 'completed':
      return { type: 'run.completed', runId, tenantId, outputs: outputs ?? {} };
    case 'failed':
    case 'cancelled':
      return { type: `run.${status}`, runId, tenantId, ...(error ? { error } : {}) };
    case 'awaiting_review':
      return { type: 'run.awaiting_review', runId, tenantId };
    default:
      return undefined;
  }
}

function nodeNotice(
  def: RunDefinition,
  nodeId: string,
  state: NodeRunState,
  outputs: PortValues | undefined,
  error: string | undefined,
  started: Date | null,
  ended: Date | null,
  cost: NodeCost | undefined,
): RunNotice {
  const base = { runId: def.runId, tenantId: def.tenantId, nodeId };
  const durationMs = started && ended ? { durationMs: ended.getTime() - started.getTime() } : {};
  switch (state) {
    case 'done':
    case 'cached':
      return { type: 'node.completed', ...base, state, ...(outputs ? { outputs } : {}), ...(state === 'cached' ? { cached: true } : {}), ...durationMs, costUsd: cost?.usd ?? 0 };
    case 'failed':
      return { type: 'node.failed', ...base, state, ...(error ? { error } : {}), ...durationMs };
    case 'running':
      return { type: 'node.started', ...base, attempt: 1 };
    default:
      return { type: `node.${state}`, ...base, state, ...(error ? { error } : {}) };
  }
}
