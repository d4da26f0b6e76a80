import { referencedHashes, type PortValues } from '../contract/values';
import { descendantsOf, type RunPlan } from './plan';
import type { NodeRunState } from './state';

export interface ReplayParent {
  runId: string;
  plan: RunPlan;
  nodes: Array<{ nodeId: string; state: NodeRunState; outputs: PortValues | null }>;
}

export interface ReplayPlan {
  /** The parent's plan, with the new params merged into `fromNodeId`'s. */
  plan: RunPlan;
  /** What the replay re-runs: `fromNodeId` and everything downstream, in plan order. */
  rerun: string[];
  /** What it reuses: every other node starts finished with the parent's outputs. */
  reused: Record<string, { outputs: PortValues; sourceRunId: string }>;
}

/**
 * What a replay from `fromNodeId` re-runs and what it reuses from its parent run. A node whose
 * outputs name a `collected` artifact (deleted past its retention) re-runs too, with what follows it.
 * Refuses when a reused node never finished: there would be no output to start from.
 */
export function replayPlan(parent: ReplayParent, fromNodeId: string, params?: Record<string, unknown>, collected: ReadonlySet<string> = new Set()): ReplayPlan {
  if (!parent.plan.nodes[fromNodeId]) throw new Error(`run ${parent.runId} has no node "${fromNodeId}"`);
  const lost = parent.nodes.filter((n) => referencedHashes(n.outputs).some((h) => collected.has(h))).map((n) => n.nodeId);
  const rerunSet = new Set([fromNodeId, ...lost].filter((id) => parent.plan.nodes[id]).flatMap((id) => descendantsOf(parent.plan, id)));
  const rerun = parent.plan.order.filter((id) => rerunSet.has(id));
  const reused: ReplayPlan['reused'] = {};
  for (const n of parent.nodes) {
    if (rerunSet.has(n.nodeId)) continue;
    if (n.state !== 'done' && n.state !== 'cached') throw new Error(`cannot replay from ${fromNodeId}: upstream node ${n.nodeId} did not finish (${n.state})`);
    reused[n.nodeId] = { outputs: n.outputs!, sourceRunId: parent.runId };
  }
  const plan = structuredClone(parent.plan);
  if (params) plan.nodes[fromNodeId].params = { ...plan.nodes[fromNodeId].params, ...params };
  return { plan, rerun, reused };
}
