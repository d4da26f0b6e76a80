import type { GraphEdge, GraphProblem, ParamSchema } from './types';

/** The numeric range a param's schema allows (what a retry gate clamps an adjusted value to). */
export interface ParamRange {
  minimum?: number;
  maximum?: number;
}

/** The minimum and maximum of `param` in a node type's param schema, if it declares either. */
export function paramRange(schema: ParamSchema, param: string): ParamRange | undefined {
  const property = schema.properties[param];
  if (!property) return undefined;
  const range: ParamRange = {};
  if (typeof property.minimum === 'number') range.minimum = property.minimum;
  if (typeof property.maximum === 'number') range.maximum = property.maximum;
  return range.minimum === undefined && range.maximum === undefined ? undefined : range;
}

/**
 * A retry gate's params checked against the graph (the scheduler reads them: scheduler/retry-gate.ts):
 * `rerunFrom` must be upstream of the gate, and each adjustment must name a param of a node the retry
 * re-runs (from `rerunFrom` up to the gate), or the retry could not change anything. What the first
 * retry would set must pass the target param's schema (`checkValue`: its errors, none when valid): a
 * `set` or `cycle` value out of range, or an `add` already out of range at the first retry, could
 * never help. An `add` that only later walks past a bound is clamped to it at retry time.
 */
export function gateProblems(
  gateId: string,
  params: Record<string, unknown>,
  edges: readonly GraphEdge[],
  paramsOf: (nodeId: string) => Record<string, unknown> | undefined,
  checkValue: (nodeId: string, param: string, value: unknown) => string[] = () => [],
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
    } else if (step.op === 'add' && typeof paramsOf(nodeId)?.[param] !== 'number') {
      problems.push(problem(`adjust "${step.param}" adds to a param that is not a number`));
    } else {
      const current = paramsOf(nodeId)?.[param] as number;
      const candidates =
        step.op === 'add' ? [Math.round((current + (step.value as number)) * 1e9) / 1e9] : step.op === 'set' ? [step.value] : step.op === 'cycle' ? (step.value as unknown[]) : [];
      for (const value of candidates) {
        const errors = checkValue(nodeId, param, value);
        if (errors.length) problems.push(problem(`adjust "${step.param}" ${step.op === 'add' ? 'takes it to' : 'sets'} ${JSON.stringify(value)} on the first retry, which its schema refuses: ${errors.join('; ')}`));
      }
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
