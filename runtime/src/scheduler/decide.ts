import { isArtifactRef, type PortValue, type PortValues } from '../contract/values';
import type { Decision, SchedulerEvent } from './events';
import { descendantsOf, isUpstreamOf, type RunPlan } from './plan';
import { adjustedValues, gateParams, gateReport, nextAttemptParams, readScore, retryScope, type GateReport } from './retry-gate';
import { FINISHED_NODE, TERMINAL_RUN, type NodeStatus, type RunSnapshot } from './state';

export interface Outcome {
  snapshot: RunSnapshot;
  decisions: Decision[];
}

/** A fresh snapshot for a new run: every node pending unless given (replays seed finished nodes). */
export function initialSnapshot(
  plan: RunPlan,
  seedInputs: Record<string, PortValues> = {},
  given: Record<string, NodeStatus> = {},
): RunSnapshot {
  const nodes: Record<string, NodeStatus> = {};
  for (const id of plan.order) nodes[id] = given[id] ?? { state: 'pending', generation: 0 };
  return { status: 'queued', nodes, seedInputs };
}

/**
 * The scheduler's whole brain: (plan, snapshot, event) → (next snapshot, decisions). Pure and
 * deterministic; duplicate, stale or late events change nothing, which is what makes completion
 * handling idempotent when the store applies events under the run's lock.
 */
export function decide(plan: RunPlan, snapshot: RunSnapshot, event: SchedulerEvent): Outcome {
  const next: RunSnapshot = { ...snapshot, nodes: { ...snapshot.nodes } };
  const decisions: Decision[] = [];
  if (event.kind === 'redrive') {
    if (next.status === 'failed') redrive(plan, next, decisions, event.reason);
    return { snapshot: next, decisions };
  }
  if (TERMINAL_RUN.has(next.status)) return { snapshot: next, decisions };
  switch (event.kind) {
    case 'start':
      if (snapshot.status !== 'queued') break;
      next.status = 'running';
      decisions.push({ kind: 'run_status', status: 'running' });
      dispatchReady(plan, next, decisions);
      break;
    case 'node_succeeded': {
      const node = next.nodes[event.nodeId];
      if (!node || node.generation !== event.generation || !isActive(node)) break;
      succeed(plan, next, decisions, event.nodeId, event.outputs, event.cached);
      break;
    }
    case 'node_failed': {
      const node = next.nodes[event.nodeId];
      if (!node || node.generation !== event.generation || !isActive(node)) break;
      next.nodes[event.nodeId] = { ...node, state: 'failed', error: event.error };
      decisions.push({ kind: 'node_state', nodeId: event.nodeId, state: 'failed', error: event.error });
      stopRun(plan, next, decisions, 'failed', `${event.nodeId}: ${event.error}`);
      break;
    }
    case 'review_decided': {
      const node = next.nodes[event.nodeId];
      if (!node || node.generation !== event.generation || node.state !== 'awaiting_review') break;
      if (event.decision === 'approve') {
        succeed(plan, next, decisions, event.nodeId, reviewOutputs(plan, next, event.nodeId, event.note));
      } else if (event.decision === 'reject') {
        const error = `rejected by reviewer${event.note ? `: ${event.note}` : ''}`;
        next.nodes[event.nodeId] = { ...node, state: 'failed', error };
        decisions.push({ kind: 'node_state', nodeId: event.nodeId, state: 'failed', error });
        stopRun(plan, next, decisions, 'failed', `${event.nodeId}: ${error}`);
      } else {
        const from = event.rerunFrom ?? plan.nodes[event.nodeId].upstream[0] ?? event.nodeId;
        if (!isUpstreamOf(plan, from, event.nodeId)) break;
        const overrides = event.params ? { [from]: event.params } : {};
        if (plan.nodes[event.nodeId].gate && from !== event.nodeId) {
          // A reviewer's retry at an exhausted gate is one more attempt: the gate keeps its record.
          reset(plan, next, decisions, retryScope(plan, event.nodeId, from), overrides, { [event.nodeId]: node.outputs ?? {} });
        } else {
          reset(plan, next, decisions, descendantsOf(plan, from), overrides);
        }
      }
      break;
    }
    case 'rerun':
      if (!plan.nodes[event.fromNodeId] || next.status === 'queued') break;
      reset(plan, next, decisions, descendantsOf(plan, event.fromNodeId), event.params ? { [event.fromNodeId]: event.params } : {});
      break;
    case 'cancel':
      stopRun(plan, next, decisions, 'cancelled', event.reason);
      break;
  }
  if (!TERMINAL_RUN.has(next.status)) settleStatus(plan, next, decisions);
  return { snapshot: next, decisions };
}

/** Resolves a node's inputs from upstream outputs and seed values. */
export function resolveInputs(plan: RunPlan, snapshot: RunSnapshot, nodeId: string): Record<string, PortValue> {
  const inputs: Record<string, PortValue> = { ...(snapshot.seedInputs[nodeId] ?? {}) };
  for (const input of plan.nodes[nodeId].inputs) {
    if (input.sources.length === 0) continue;
    const values = input.sources.map((s) => snapshot.nodes[s.node].outputs?.[s.port] ?? null);
    inputs[input.port] = input.multiple ? (values as PortValue) : values[0];
  }
  return inputs;
}

/** A node's params for this run: the plan's, with the run's overrides on top. */
export function effectiveParams(plan: RunPlan, snapshot: RunSnapshot, nodeId: string): Record<string, unknown> {
  const override = snapshot.nodes[nodeId].params;
  return override ? { ...plan.nodes[nodeId].params, ...override } : plan.nodes[nodeId].params;
}

function isActive(node: NodeStatus): boolean {
  return node.state === 'queued' || node.state === 'running';
}

function succeed(plan: RunPlan, snap: RunSnapshot, decisions: Decision[], nodeId: string, outputs: PortValues, cached?: boolean): void {
  const state = cached ? 'cached' : 'done';
  snap.nodes[nodeId] = { ...snap.nodes[nodeId], state, outputs, error: undefined };
  decisions.push({ kind: 'node_state', nodeId, state, outputs });
  dispatchReady(plan, snap, decisions, plan.nodes[nodeId].downstream);
}

/** Dispatches pending nodes whose upstream nodes have all finished; completes the run when all have. */
function dispatchReady(plan: RunPlan, snap: RunSnapshot, decisions: Decision[], candidates: readonly string[] = plan.order): void {
  for (const id of candidates) {
    if (snap.nodes[id].state !== 'pending') continue;
    if (plan.nodes[id].upstream.every((u) => FINISHED_NODE.has(snap.nodes[u].state))) dispatch(plan, snap, id, decisions);
  }
  if (plan.order.every((id) => FINISHED_NODE.has(snap.nodes[id].state))) {
    snap.status = 'completed';
    const outputs: Record<string, PortValues> = {};
    for (const id of plan.sinks) outputs[id] = snap.nodes[id].outputs ?? {};
    decisions.push({ kind: 'run_status', status: 'completed', outputs });
  }
}

function dispatch(plan: RunPlan, snap: RunSnapshot, nodeId: string, decisions: Decision[]): void {
  const generation = snap.nodes[nodeId].generation + 1;
  const params = snap.nodes[nodeId].params;
  if (plan.nodes[nodeId].gate) return passOrRetry(plan, snap, nodeId, decisions);
  if (plan.nodes[nodeId].parks) {
    if (!needsReview(plan, snap, nodeId)) {
      snap.nodes[nodeId] = { state: 'queued', generation, ...(params ? { params } : {}) };
      return succeed(plan, snap, decisions, nodeId, reviewOutputs(plan, snap, nodeId, PASSED_WITHOUT_REVIEW));
    }
    // A review parks here: no job, no worker held, until review_decided arrives.
    snap.nodes[nodeId] = { state: 'awaiting_review', generation, ...(params ? { params } : {}) };
    decisions.push({ kind: 'node_state', nodeId, state: 'awaiting_review' });
    return;
  }
  snap.nodes[nodeId] = { state: 'queued', generation, ...(params ? { params } : {}) };
  decisions.push({ kind: 'node_state', nodeId, state: 'queued' });
  decisions.push({
    kind: 'enqueue',
    nodeId,
    generation,
    inputs: resolveInputs(plan, snap, nodeId),
    params: effectiveParams(plan, snap, nodeId),
  });
}

/**
 * Resets nodes to pending (bumping generations so late results are ignored) with new param
 * overrides per node, then dispatches what is ready. `kept` outputs stay on a reset node (a retry
 * gate's attempts so far).
 */
function reset(
  plan: RunPlan,
  snap: RunSnapshot,
  decisions: Decision[],
  ids: readonly string[],
  overrides: Record<string, Record<string, unknown>>,
  kept: Record<string, PortValues> = {},
): void {
  for (const id of ids) {
    const node = snap.nodes[id];
    if (isActive(node)) decisions.push({ kind: 'abort', nodeId: id, generation: node.generation });
    const changed = overrides[id];
    const params = changed ? { ...(node.params ?? {}), ...changed } : node.params;
    const outputs = kept[id];
    snap.nodes[id] = { state: 'pending', generation: node.generation + 1, ...(params ? { params } : {}), ...(outputs ? { outputs } : {}) };
    decisions.push({ kind: 'node_state', nodeId: id, state: 'pending', ...(changed ? { params } : {}), ...(outputs ? { outputs } : {}) });
  }
  dispatchReady(plan, snap, decisions);
}

/**
 * A retry gate's inputs have arrived: it passes the image on when the score reaches the threshold;
 * below it, it re-runs its subgraph with the next adjusted params while attempts remain, then parks
 * for review or fails the run (which refunds it). Every attempt stays in the gate's report.
 */
function passOrRetry(plan: RunPlan, snap: RunSnapshot, gateId: string, decisions: Decision[]): void {
  const gate = snap.nodes[gateId];
  const policy = gateParams(effectiveParams(plan, snap, gateId));
  const inputs = resolveInputs(plan, snap, gateId);
  const score = readScore(inputs.score);
  const paramsOf = (id: string) => effectiveParams(plan, snap, id);
  const report = gateReport(policy, gate.outputs);
  const attempt = report.attempts.length + 1;
  const passed = score !== undefined && score >= policy.threshold;
  report.attempts = [...report.attempts, { attempt, score: score ?? 0, params: adjustedValues(policy.adjust, paramsOf), passed }];
  report.passed = passed;
  // A new generation per evaluation, so a reviewer's decision names the attempt it saw.
  snap.nodes[gateId] = { ...gate, generation: gate.generation + 1 };
  if (passed) return succeed(plan, snap, decisions, gateId, { image: inputs.image ?? null, report: report as unknown as PortValue });
  if (score !== undefined && attempt < policy.maxAttempts) {
    const { overrides, clamped } = nextAttemptParams(policy.adjust, paramsOf, `${snap.runId ?? ''}/${gateId}/${attempt + 1}`, plan.nodes[gateId].adjustRanges);
    if (clamped.length) report.attempts = [...report.attempts.slice(0, -1), { ...report.attempts[report.attempts.length - 1], clamped }];
    return reset(plan, snap, decisions, retryScope(plan, gateId, policy.rerunFrom), overrides, { [gateId]: { report: report as unknown as PortValue } });
  }
  const outputs = { report: report as unknown as PortValue };
  if (score !== undefined && policy.onExhausted === 'review') {
    snap.nodes[gateId] = { ...snap.nodes[gateId], state: 'awaiting_review', outputs };
    decisions.push({ kind: 'node_state', nodeId: gateId, state: 'awaiting_review', outputs });
    return;
  }
  const error = score === undefined
    ? 'the score input holds no score'
    : `score ${score} stayed below ${policy.threshold} after ${attempt} attempt${attempt === 1 ? '' : 's'}`;
  snap.nodes[gateId] = { ...snap.nodes[gateId], state: 'failed', error, outputs };
  decisions.push({ kind: 'node_state', nodeId: gateId, state: 'failed', error, outputs });
  stopRun(plan, snap, decisions, 'failed', `${gateId}: ${error}`);
}

/** Re-opens a failed run: failed, skipped and cancelled nodes go back to pending; a new billing round. */
function redrive(plan: RunPlan, snap: RunSnapshot, decisions: Decision[], reason: string): void {
  snap.status = 'running';
  decisions.push({ kind: 'charge', reason });
  decisions.push({ kind: 'run_status', status: 'running' });
  for (const id of plan.order) {
    const node = snap.nodes[id];
    if (node.state !== 'failed' && node.state !== 'skipped' && node.state !== 'cancelled') continue;
    snap.nodes[id] = { state: 'pending', generation: node.generation + 1, ...(node.params ? { params: node.params } : {}) };
    decisions.push({ kind: 'node_state', nodeId: id, state: 'pending' });
  }
  dispatchReady(plan, snap, decisions);
}

export const PASSED_WITHOUT_REVIEW = 'passed without review: nothing doubtful reached it';

/**
 * A review node parks always, or with `park: doubtful` only when a result upstream of it carries a
 * doubtful verdict (ArtifactRef meta.trust.verdict, e.g. a cut-out the segment node doubts): the
 * review usually sits after the composite, where the doubtful cut-out shows in the shot.
 */
function needsReview(plan: RunPlan, snap: RunSnapshot, nodeId: string): boolean {
  if (effectiveParams(plan, snap, nodeId).park !== 'doubtful') return true;
  return upstreamOf(plan, nodeId).some((id) => Object.values(snap.nodes[id].outputs ?? {}).some(isDoubtful));
}

function isDoubtful(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isDoubtful);
  return isArtifactRef(value) && (value.meta?.trust as { verdict?: unknown } | undefined)?.verdict === 'doubtful';
}

function upstreamOf(plan: RunPlan, nodeId: string): string[] {
  const seen = new Set<string>();
  const queue = [...plan.nodes[nodeId].upstream];
  while (queue.length) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...plan.nodes[id].upstream);
  }
  return [...seen];
}

/** A review node passes its inputs through to same-named outputs and reports the decision. */
function reviewOutputs(plan: RunPlan, snap: RunSnapshot, nodeId: string, note?: string): PortValues {
  const inputs = resolveInputs(plan, snap, nodeId);
  const outputs: PortValues = {};
  for (const port of plan.nodes[nodeId].outputs) if (port in inputs) outputs[port] = inputs[port];
  if (plan.nodes[nodeId].outputs.includes('decision')) outputs.decision = { decision: 'approve', note: note ?? '' };
  if (plan.nodes[nodeId].gate) {
    const report: GateReport = { ...(snap.nodes[nodeId].outputs?.report as unknown as GateReport), review: { decision: 'approve', note: note ?? '' } };
    outputs.report = report as unknown as PortValue;
  }
  return outputs;
}

/** running while work is queued or running; awaiting_review when only reviews remain open. */
function settleStatus(plan: RunPlan, snap: RunSnapshot, decisions: Decision[]): void {
  if (snap.status !== 'running' && snap.status !== 'awaiting_review') return;
  const states = plan.order.map((id) => snap.nodes[id].state);
  const busy = states.some((s) => s === 'queued' || s === 'running');
  const parked = states.includes('awaiting_review');
  const status = !busy && parked ? 'awaiting_review' : 'running';
  if (status !== snap.status) {
    snap.status = status;
    decisions.push({ kind: 'run_status', status });
  }
}

function stopRun(
  plan: RunPlan,
  snap: RunSnapshot,
  decisions: Decision[],
  status: 'failed' | 'cancelled',
  reason: string,
): void {
  for (const id of plan.order) {
    const node = snap.nodes[id];
    if (node.state === 'pending') {
      snap.nodes[id] = { ...node, state: 'skipped' };
      decisions.push({ kind: 'node_state', nodeId: id, state: 'skipped' });
    } else if (isActive(node) || node.state === 'awaiting_review') {
      snap.nodes[id] = { ...node, state: 'cancelled' };
      decisions.push({ kind: 'node_state', nodeId: id, state: 'cancelled' });
      if (isActive(node)) decisions.push({ kind: 'abort', nodeId: id, generation: node.generation });
    }
  }
  snap.status = status;
  decisions.push({ kind: 'run_status', status, error: reason });
  decisions.push({ kind: 'refund', reason });
}
