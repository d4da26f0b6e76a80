import type { GraphEdge, GraphProblem } from './types';

/**
 * A retry gate's params checked against the graph (the scheduler reads them: scheduler/retry-gate.ts):
 * `rerunFrom` must be upstream of the gate, and each adjustment must name a param of a node the retry
 * re-runs (from `rerunFrom` up to the gate), or the retry could not change anything.
 */
export function gateProblems(
  gateId: string,
  params: Record<string, unknown>,
  edges: readonly GraphEdge[],
  paramsOf: (nodeId: string) => Record<string, unknown> | undefined,
): GraphProblem[] {
  const rerunFrom = typeof params.rerunFrom === 'string' ? params.rerunFrom : '';
  const problem = (message: string): GraphProblem => ({ code: 'invalid_params', nodeId: gateId, message: `retry gate "${gateId}": ${message}` });
  const below = (from: string) => reachable(from, edges);
  if (!rerunFrom || rerunFrom === gateId || !paramsOf(rerunFrom) || !below(rerunFrom).has(gateId)) {
    return [problem(`rerunFrom "${rerunFrom}" must name a node upstream of the gate`)];
  }
  const beyond = below(gateId);
  const rerun = below(rerunFrom);
  const problems: GraphProblem[] = [];
  for (const step of Array.isArray(params.adjust) ? (params.adjust as Array<{ param: string; op: string; value?: unknown }>) : []) {
    const dot = step.param.indexOf('.');
    const nodeId = step.param.slice(0, dot);
    const param = step.param.slice(dot + 1);
    const inScope = rerun.has(nodeId) && nodeId !== gateId && !beyond.has(nodeId);
    if (!inScope || !(param in (paramsOf(nodeId) ?? {}))) {
      problems.push(problem(`adjust "${step.param}" must name a param of a node the retry re-runs (from "${rerunFrom}" to the gate)`));
    } else if (step.op === 'cycle' && !(Array.isArray(step.value) && step.value.length > 0)) {
      problems.push(problem(`adjust "${step.param}" cycles through a non-empty list`));
    } else if (step.op === 'add' && typeof step.value !== 'number') {
      problems.push(problem(`adjust "${step.param}" adds a number`));
    }
  }
  return problems;
}

/** `from` and every node downstream of it. */
function reachable(from: string, edges: readonly GraphEdge[]): Set<string> {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of edges) if (e.source === id && !seen.has(e.target)) seen.add(e.target), stack.push(e.target);
  }
  return seen;
}
