import type { PortValue, PortValues } from '../contract/values';
import type { Decision, SchedulerEvent } from './events';
import type { RunPlan } from './plan';
import { FINISHED_NODE, TERMINAL_RUN, type NodeStatus, type RunSnapshot } from './state';

export interface Outcome {
  snapshot: RunSnapshot;
  decisions: Decision[];
}

/** A fresh snapshot for a new run: every node pending. */
export function initialSnapshot(plan: RunPlan, seedInputs: Record<string, PortValues> = {}): RunSnapshot {
  const nodes: Record<string, NodeStatus> = {};
  for (const id of plan.order) nodes[id] = { state: 'pending', generation: 0 };
  return { status: 'queued', nodes, seedInputs };
}

/**
 * The scheduler's whole brain: (plan, snapshot, event) → (next snapshot, decisions). Pure and
 * deterministic; duplicate or late events are ignored, which is what makes completion handling
 * idempotent when the store applies them under the run's lock.
 */
export function decide(plan: RunPlan, snapshot: RunSnapshot, event: SchedulerEvent): Outcome {
  const next: RunSnapshot = { ...snapshot, nodes: { ...snapshot.nodes } };
  const decisions: Decision[] = [];
  switch (event.kind) {
    case 'start':
      if (snapshot.status !== 'queued') break;
      next.status = 'running';
      decisions.push({ kind: 'run_status', status: 'running' });
      for (const id of plan.order) if (plan.nodes[id].upstream.length === 0) dispatch(plan, next, id, decisions);
      finishIfDone(plan, next, decisions);
      break;
    case 'node_succeeded': {
      const node = next.nodes[event.nodeId];
      if (!node || node.generation !== event.generation || FINISHED_NODE.has(node.state)) break;
      if (TERMINAL_RUN.has(next.status)) break;
      const state = event.cached ? 'cached' : 'done';
      next.nodes[event.nodeId] = { ...node, state, outputs: event.outputs, error: undefined };
      decisions.push({ kind: 'node_state', nodeId: event.nodeId, state, outputs: event.outputs });
      for (const d of plan.nodes[event.nodeId].downstream) {
        if (next.nodes[d].state !== 'pending') continue;
        if (plan.nodes[d].upstream.every((u) => FINISHED_NODE.has(next.nodes[u].state))) dispatch(plan, next, d, decisions);
      }
      finishIfDone(plan, next, decisions);
      break;
    }
    case 'node_failed': {
      const node = next.nodes[event.nodeId];
      if (!node || node.generation !== event.generation || TERMINAL_RUN.has(next.status)) break;
      if (FINISHED_NODE.has(node.state) || node.state === 'failed') break;
      next.nodes[event.nodeId] = { ...node, state: 'failed', error: event.error };
      decisions.push({ kind: 'node_state', nodeId: event.nodeId, state: 'failed', error: event.error });
      stopRun(plan, next, decisions, 'failed', `${event.nodeId}: ${event.error}`);
      break;
    }
    case 'cancel':
      if (TERMINAL_RUN.has(next.status)) break;
      stopRun(plan, next, decisions, 'cancelled', event.reason);
      break;
  }
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

function dispatch(plan: RunPlan, snap: RunSnapshot, nodeId: string, decisions: Decision[]): void {
  const node = snap.nodes[nodeId];
  const generation = node.generation + 1;
  snap.nodes[nodeId] = { state: 'queued', generation };
  decisions.push({ kind: 'node_state', nodeId, state: 'queued' });
  decisions.push({ kind: 'enqueue', nodeId, generation, inputs: resolveInputs(plan, snap, nodeId) });
}

function finishIfDone(plan: RunPlan, snap: RunSnapshot, decisions: Decision[]): void {
  if (!plan.order.every((id) => FINISHED_NODE.has(snap.nodes[id].state))) return;
  snap.status = 'completed';
  const outputs: Record<string, PortValues> = {};
  for (const id of plan.sinks) outputs[id] = snap.nodes[id].outputs ?? {};
  decisions.push({ kind: 'run_status', status: 'completed', outputs });
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
    } else if (node.state === 'queued' || node.state === 'running' || node.state === 'awaiting_review') {
      snap.nodes[id] = { ...node, state: 'cancelled' };
      decisions.push({ kind: 'node_state', nodeId: id, state: 'cancelled' });
      decisions.push({ kind: 'abort', nodeId: id, generation: node.generation });
    }
  }
  snap.status = status;
  decisions.push({ kind: 'run_status', status, error: reason });
  decisions.push({ kind: 'refund', reason });
}
