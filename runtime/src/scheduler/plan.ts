import { checkGraph, pickFields, topologicalOrder } from '../graph';
import type { GraphDoc, GraphProblem, NodeTypeDescriptor, Resource, SubflowInstanceInfo, SubflowResolver } from '../graph';
import type { PortValue, PortValues } from '../contract/values';
import { paramRange, type ParamRange } from '../graph/gate-check';

export interface PlanInput {
  port: string;
  /** A `multiple` input receives a list, in edge order. */
  multiple: boolean;
  sources: Array<{ node: string; port: string }>;
}

/** What a plan node takes from its node type as it is; everything else it derives below. */
const PLAN_NODE_FIELDS = ['type', 'version', 'resource', 'cacheable', 'cacheSalt', 'gate'] as const;

/** One node as the scheduler sees it: effective params (defaults applied) and resolved wiring. */
export interface PlanNode extends Pick<NodeTypeDescriptor, (typeof PLAN_NODE_FIELDS)[number]> {
  id: string;
  params: Record<string, unknown>;
  inputs: PlanInput[];
  outputs: string[];
  /** Seed values this node takes when the run starts (its descriptor's `seeds`). */
  seeds?: string[];
  upstream: string[];
  downstream: string[];
  /** Attempts including the first, backoff base and per-attempt timeout: node overrides, else type defaults. */
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  parks: boolean;
  /** The model the node was placed for: its id (routes the job) and fingerprint (in the cache key). */
  model?: PlacedModel;
  /** The queue its jobs go to: the resource's, or a per-model queue (see queueFor). */
  queue?: string;
  /**
   * The outputs something in the graph consumes, when the run materialises only those (template
   * runs: only the results matter). Absent: every output (editor runs, sinks, plans stored before).
   */
  wants?: string[];
  /**
   * A retry gate's adjusted params (`<nodeId>.<param>`) with the range their schema allows: a retry
   * clamps an adjusted value into it. Absent on other nodes, and on gates of plans stored before.
   */
  adjustRanges?: Record<string, ParamRange>;
}

export interface PlacedModel {
  id: string;
  /** Identifies the model's configuration (file, pre/post-processing, revision) for the execution cache. */
  fingerprint: string;
}

/** Where a node runs, decided at compile time from its params (NodeDefinition.placement). */
export interface NodePlacement {
  resource: Resource;
  model?: PlacedModel;
}

/**
 * A node placed for a model goes to the queue `<resource>.<model id>`, so a GPU host that keeps that
 * model warm takes its jobs; everything else goes to the resource's queue. Model ids never hold ':'
 * (BullMQ reserves it in keys).
 */
export function queueFor(resource: Resource, model?: Pick<PlacedModel, 'id'>): string {
  return model ? `${resource}.${model.id}` : resource;
}

/** all: every node output is produced (editor runs show them); consumed: non-sink nodes may skip outputs nothing consumes. */
export type Materialize = 'all' | 'consumed';

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 60_000;

/** A compiled, immutable run plan. Stored with each run so a run never depends on later edits. */
export interface RunPlan {
  nodes: Record<string, PlanNode>;
  order: string[];
  /** Nodes nothing depends on: their outputs are the run's outputs. */
  sinks: string[];
  /** The subflow instances expanded into it, by path (`clean` → its nodes `clean/…`): the versions that ran. */
  subflows?: Record<string, SubflowInstanceInfo>;
}

/** A node and everything downstream of it, in plan order. */
export function descendantsOf(plan: RunPlan, nodeId: string): string[] {
  const seen = new Set<string>([nodeId]);
  const stack = [nodeId];
  while (stack.length) for (const d of plan.nodes[stack.pop()!].downstream) if (!seen.has(d)) seen.add(d), stack.push(d);
  return plan.order.filter((id) => seen.has(id));
}

/** True when `ancestor` is upstream (transitively) of `nodeId`, or the same node. */
export function isUpstreamOf(plan: RunPlan, ancestor: string, nodeId: string): boolean {
  return !!plan.nodes[ancestor] && descendantsOf(plan, ancestor).includes(nodeId);
}

export class GraphInvalidError extends Error {
  constructor(readonly problems: GraphProblem[]) {
    super(`graph is invalid: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'GraphInvalidError';
  }
}

/** Param overrides keyed `<nodeId>.<param>` (how templates expose params to end users). */
export type ParamOverrides = Record<string, unknown>;

export function applyOverrides(doc: GraphDoc, overrides: ParamOverrides): GraphDoc {
  const nodes = doc.nodes.map((n) => ({ ...n, params: { ...(n.params ?? {}) } }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    const node = dot > 0 ? byId.get(key.slice(0, dot)) : undefined;
    if (!node) throw new GraphInvalidError([{ code: 'invalid_params', message: `override "${key}" names no node` }]);
    node.params![key.slice(dot + 1)] = value;
  }
  return { ...doc, nodes };
}

/** Validates and compiles a graph document into a plan. Throws GraphInvalidError with every problem. */
export interface CompileOptions {
  materialize?: Materialize;
  /** Placement of nodes whose type decides it from params (NodeCatalog.place); without it every node runs on its resource. */
  place?: (type: string, params: Record<string, unknown>) => NodePlacement | undefined;
  /** Where subflow instances find their definitions; default the ones the document carries (GraphDoc.subflows). */
  subflows?: SubflowResolver;
  /**
   * "Run to here": the plan holds only this node and its ancestors, so nothing else is placed,
   * dispatched or charged. The whole graph is still validated first, as a commit would be. A subflow
   * instance's id runs to all of its inner nodes; `<instance>/<inner>` to one of them.
   */
  untilNodeId?: string;
}

/** `nodeIds` and every node upstream of them in the document (the part of the graph they need). */
export function upstreamClosure(doc: GraphDoc, nodeIds: string | readonly string[]): Set<string> {
  const sources = new Map<string, string[]>();
  for (const e of doc.edges) sources.set(e.target, [...(sources.get(e.target) ?? []), e.source]);
  const seen = new Set<string>(typeof nodeIds === 'string' ? [nodeIds] : nodeIds);
  const stack = [...seen];
  while (stack.length) for (const s of sources.get(stack.pop()!) ?? []) if (!seen.has(s)) seen.add(s), stack.push(s);
  return seen;
}

/** The (expanded) document cut down to `untilNodeId`'s upstream closure; refuses an id the graph does not have. */
function cutToUntil(doc: GraphDoc, untilNodeId: string | undefined): GraphDoc {
  if (untilNodeId === undefined) return doc;
  const targets = doc.nodes.filter((n) => n.id === untilNodeId || n.id.startsWith(`${untilNodeId}/`)).map((n) => n.id);
  if (!targets.length) {
    throw new GraphInvalidError([{ code: 'invalid_document', message: `"run to here" names node "${untilNodeId}", which the graph does not have` }]);
  }
  const keep = upstreamClosure(doc, targets);
  return { nodes: doc.nodes.filter((n) => keep.has(n.id)), edges: doc.edges.filter((e) => keep.has(e.source) && keep.has(e.target)) };
}

export function compilePlan(drawn: GraphDoc, catalog: readonly NodeTypeDescriptor[], options: CompileOptions = {}): RunPlan {
  // Subflow instances become their inner nodes here (ids `<instance>/<inner>`); the plan never holds one.
  const result = checkGraph(drawn, catalog, options.subflows);
  if (!result.ok) throw new GraphInvalidError(result.problems);
  // Disabled nodes are bypassed in result.doc; "run to here" then keeps what the node needs.
  const doc = cutToUntil(result.doc, options.untilNodeId);
  const types = new Map(catalog.map((d) => [d.type, d]));
  const placements = placeNodes(doc, result.params, options);
  const nodes: Record<string, PlanNode> = {};
  for (const n of doc.nodes) {
    const d = types.get(n.type)!;
    // Checked once, by the validator: defaults applied.
    const params = result.params.get(n.id)!;
    const placed = placements.get(n.id);
    nodes[n.id] = {
      id: n.id,
      ...pickFields(d, PLAN_NODE_FIELDS),
      resource: placed?.resource ?? d.resource,
      ...(placed?.model ? { model: placed.model, queue: queueFor(placed.resource, placed.model) } : {}),
      params,
      inputs: d.inputs.map((p) => ({ port: p.name, multiple: !!p.multiple, sources: [] })),
      outputs: d.outputs.map((p) => p.name),
      ...(d.seeds?.length ? { seeds: d.seeds.map((p) => p.name) } : {}),
      upstream: [],
      downstream: [],
      attempts: n.retry?.attempts ?? d.retries ?? DEFAULT_ATTEMPTS,
      backoffMs: n.retry?.backoffMs ?? DEFAULT_BACKOFF_MS,
      timeoutMs: n.timeoutMs ?? d.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      parks: !!d.parks,
    };
  }
  const consumed = new Map<string, Set<string>>();
  for (const e of doc.edges) {
    consumed.set(e.source, (consumed.get(e.source) ?? new Set()).add(e.sourceHandle));
    const target = nodes[e.target];
    target.inputs.find((i) => i.port === e.targetHandle)!.sources.push({ node: e.source, port: e.sourceHandle });
    if (!target.upstream.includes(e.source)) target.upstream.push(e.source);
    const source = nodes[e.source];
    if (!source.downstream.includes(e.target)) source.downstream.push(e.target);
  }
  for (const n of Object.values(nodes)) if (n.gate) setAdjustRanges(n, nodes, types);
  const ids = doc.nodes.map((n) => n.id);
  const sinks = ids.filter((id) => nodes[id].downstream.length === 0);
  if (options.materialize === 'consumed') {
    for (const n of Object.values(nodes)) {
      const used = consumed.get(n.id);
      if (used) n.wants = n.outputs.filter((port) => used.has(port)); // a sink's outputs are the run's results
    }
  }
  const subflows = Object.keys(result.instances).length ? { subflows: result.instances } : {};
  return { nodes, order: topologicalOrder(ids, doc.edges), sinks, ...subflows };
}

/** The schema ranges of the params a gate adjusts, so the pure scheduler can clamp without the catalog. */
function setAdjustRanges(gate: PlanNode, nodes: Record<string, PlanNode>, types: Map<string, NodeTypeDescriptor>): void {
  const ranges: Record<string, ParamRange> = {};
  const steps = Array.isArray(gate.params.adjust) ? (gate.params.adjust as Array<{ param?: unknown }>) : [];
  for (const step of steps) {
    if (typeof step.param !== 'string') continue;
    const dot = step.param.indexOf('.');
    const target = nodes[step.param.slice(0, dot)];
    const range = target && paramRange(types.get(target.type)!.params, step.param.slice(dot + 1));
    if (range) ranges[step.param] = range;
  }
  if (Object.keys(ranges).length) gate.adjustRanges = ranges;
}

/**
 * Every node's placement, or every reason the graph cannot run as configured (e.g. no provider, an
 * unknown model id): all of them at once, so whoever configures the installation sees the whole list.
 */
function placeNodes(doc: GraphDoc, params: ReadonlyMap<string, Record<string, unknown>>, options: CompileOptions): Map<string, NodePlacement | undefined> {
  const placements = new Map<string, NodePlacement | undefined>();
  const problems: GraphProblem[] = [];
  for (const n of doc.nodes) {
    try {
      placements.set(n.id, options.place?.(n.type, params.get(n.id)!));
    } catch (err) {
      problems.push({ code: 'invalid_params', nodeId: n.id, message: (err as Error).message });
    }
  }
  if (problems.length) throw new GraphInvalidError(problems);
  return placements;
}

/** The nodes of a plan that take seed `name` (e.g. every input-image node takes `upload`). */
export function nodesTakingSeed(plan: RunPlan, name: string): string[] {
  return plan.order.filter((id) => plan.nodes[id].seeds?.includes(name));
}

/**
 * Binds run-start values to the nodes that declare them as seeds. Every declared seed must be given:
 * a run whose input node would find nothing fails here, before anything is charged.
 */
export function bindSeeds(plan: RunPlan, values: Record<string, PortValue>): Record<string, PortValues> {
  const bound: Record<string, PortValues> = {};
  for (const id of plan.order) {
    for (const name of plan.nodes[id].seeds ?? []) {
      if (values[name] == null) throw new GraphInvalidError([{ code: 'missing_input', nodeId: id, port: name, message: `node "${id}" needs "${name}" when the run starts` }]);
      (bound[id] ??= {})[name] = values[name];
    }
  }
  return bound;
}
