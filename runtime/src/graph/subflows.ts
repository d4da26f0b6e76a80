import { canConnect, type PortType } from './ports';
import type { GraphDoc, GraphEdge, GraphNode, GraphProblem, NodeTypeDescriptor, ParamSchema, Resource } from './types';

/**
 * Subflows (Node-RED's subflows, ComfyUI's group nodes): a graph saved as a reusable node type.
 * An instance is a node of type `subflow:<id>`; the compiler expands it (expandSubflows) into its
 * inner nodes, ids namespaced `<instance>/<inner>`, so the runtime, cache and replay never see it.
 */
export const SUBFLOW_TYPE_PREFIX = 'subflow:';

/** The most nodes a graph may expand to, as many as a drawn graph may hold (GraphDocSchema). */
export const MAX_EXPANDED_NODES = 2000;

export function subflowNodeType(subflowId: string): string {
  return `${SUBFLOW_TYPE_PREFIX}${subflowId}`;
}

/** The subflow id an instance's type names, or undefined for an ordinary node type. */
export function subflowIdOf(nodeType: string): string | undefined {
  return nodeType.startsWith(SUBFLOW_TYPE_PREFIX) ? nodeType.slice(SUBFLOW_TYPE_PREFIX.length) : undefined;
}

/** Where a subflow port leads inside: an inner node and its port. */
export interface SubflowEndpoint {
  node: string;
  port: string;
}

export interface SubflowInputPort {
  name: string;
  type: PortType;
  label?: string;
  /** Inner inputs fed by this port (one cut edge source may feed several inner nodes). */
  targets: SubflowEndpoint[];
}

export interface SubflowOutputPort {
  name: string;
  type: PortType;
  label?: string;
  /** The inner output this port passes on. */
  source: SubflowEndpoint;
}

/** An inner node's param that an instance sets, under its own name. */
export interface SubflowExposedParam {
  name: string;
  node: string;
  param: string;
  title?: string;
  default?: unknown;
  /** The inner param's JSON Schema, copied when the subflow is saved, so the instance's form and check need no catalog. */
  schema?: Record<string, unknown>;
}

/** One saved version of a subflow: immutable, like a graph version. */
export interface SubflowDefinition {
  id: string;
  version: number;
  name: string;
  description?: string;
  graph: GraphDoc;
  inputs: SubflowInputPort[];
  outputs: SubflowOutputPort[];
  params: SubflowExposedParam[];
  /** Where its nodes run, as the palette badges it (the most remote inner resource). */
  resource?: Resource;
}

/** How an instance names its version: a number pins it; `latest` (or absent) follows new versions. */
export type SubflowVersionRef = number | 'latest';

/** The key of a pinned definition inside a document's `subflows`. */
export function subflowKey(id: string, version: number): string {
  return `${id}@${version}`;
}

/** Finds a subflow definition; `latest` means the highest version it knows. */
export type SubflowResolver = (id: string, version: SubflowVersionRef) => SubflowDefinition | undefined;

/**
 * The resolver over the definitions a document carries (`GraphDoc.subflows`, filled in when a graph
 * version is committed): a version's run uses what it was committed with, never a later edit.
 */
export function embeddedResolver(doc: Pick<GraphDoc, 'subflows'>): SubflowResolver {
  const defs = Object.values(doc.subflows ?? {});
  return (id, version) => {
    const matching = defs.filter((d) => d.id === id);
    if (version === 'latest') return matching.sort((a, b) => b.version - a.version)[0];
    return matching.find((d) => d.version === version);
  };
}

export function hasSubflowInstances(doc: Pick<GraphDoc, 'nodes'>): boolean {
  return doc.nodes.some((n) => subflowIdOf(n.type) !== undefined);
}

/** What an instance looks like as a node type: the palette entry and the outer validator's view of it. */
export function subflowDescriptor(def: SubflowDefinition): NodeTypeDescriptor {
  const properties: ParamSchema['properties'] = {};
  for (const p of def.params) {
    properties[p.name] = {
      ...(p.schema ?? {}),
      ...(p.title ? { title: p.title } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    };
  }
  return {
    type: subflowNodeType(def.id),
    version: def.version,
    title: def.name,
    category: 'Subflows',
    description: def.description || `Subflow of ${def.graph.nodes.length} nodes`,
    resource: def.resource ?? 'cpu',
    inputs: def.inputs.map((p) => ({ name: p.name, type: p.type, ...(p.label ? { label: p.label } : {}) })),
    outputs: def.outputs.map((p) => ({ name: p.name, type: p.type, ...(p.label ? { label: p.label } : {}) })),
    cacheable: true,
    params: { type: 'object', properties, additionalProperties: false },
  };
}

/** One instance's use of a subflow version, as the graph names it (the server loads these, level by level). */
export interface SubflowUse {
  id: string;
  version: SubflowVersionRef;
  instance: string;
}

export function subflowUses(doc: Pick<GraphDoc, 'nodes'>): SubflowUse[] {
  return doc.nodes.flatMap((n) => {
    const id = subflowIdOf(n.type);
    return id === undefined ? [] : [{ id, version: n.subflowVersion ?? 'latest', instance: n.id }];
  });
}

/** Which subflow version an instance expanded to: recorded in the run's plan. */
export interface SubflowInstanceInfo {
  id: string;
  version: number;
  name: string;
}

/** How a person names an instance's subflow: `Cutout v2`. */
export function subflowLabel(info: SubflowInstanceInfo | undefined): string {
  return info ? `${info.name} v${info.version}` : 'subflow';
}

export interface ExpandedGraph {
  /** The flat document: no instances, inner ids namespaced `<instance>/<inner>`. */
  doc: GraphDoc;
  /** Every subflow version the expansion used (what ran), keyed `<id>@<version>`. */
  used: Record<string, SubflowDefinition>;
  /** Each expanded instance by its path (`clean`, `clean/inner`): the subflow version it ran. */
  instances: Record<string, SubflowInstanceInfo>;
  problems: GraphProblem[];
}

interface Level {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** `<node>.<input>` at this level → the flat inputs it feeds. */
  inputsOf: (node: string, port: string) => SubflowEndpoint[];
  /** `<node>.<output>` at this level → the flat output it is. */
  outputOf: (node: string, port: string) => SubflowEndpoint | undefined;
}

/**
 * Replaces every subflow instance by its inner nodes (recursively): inner ids become
 * `<instance>/<inner>`, edges cut when the subflow was made are reconnected to the inner ports, and
 * the instance's params are set on the inner params they expose. A subflow that contains itself,
 * an unknown subflow or version, or a port that leads nowhere is reported, not expanded.
 */
export function expandSubflows(doc: GraphDoc, resolve: SubflowResolver = embeddedResolver(doc)): ExpandedGraph {
  const used: Record<string, SubflowDefinition> = {};
  const instances: Record<string, SubflowInstanceInfo> = {};
  const problems: GraphProblem[] = [];
  // Nesting multiplies: ten instances of a subflow holding ten instances of another is a hundred groups.
  let budget = MAX_EXPANDED_NODES;

  const expandLevel = (graph: GraphDoc, prefix: string, chain: string[], topInstance: string | undefined): Level => {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    const inner = new Map<string, Level & { def: SubflowDefinition }>();
    for (const node of graph.nodes) {
      const id = subflowIdOf(node.type);
      const flatId = prefix + node.id;
      if (id === undefined) {
        if (--budget === -1) {
          problems.push({ code: 'invalid_document', nodeId: topInstance ?? node.id, message: `the graph expands to more than ${MAX_EXPANDED_NODES} nodes with its subflows` });
        }
        if (budget < 0) continue;
        nodes.push({ ...node, id: flatId, ...(prefix && node.params ? { params: namespaceNodeRefs(node.params, graph, prefix) } : {}) });
        continue;
      }
      if (budget < 0) continue; // already too big: expanding further would only take time
      const where = topInstance ?? node.id;
      const versionRef = node.subflowVersion ?? 'latest';
      const def = resolve(id, versionRef);
      if (!def) {
        problems.push({
          code: 'unknown_node_type',
          nodeId: where,
          message: `${describeInstance(prefix, node.id, instances)}: subflow "${id}" ${versionRef === 'latest' ? 'does not exist' : `has no version ${versionRef}`}`,
        });
        continue;
      }
      instances[flatId] = { id: def.id, version: def.version, name: def.name };
      const label = subflowLabel(instances[flatId]);
      if (chain.includes(def.id)) {
        problems.push({
          code: 'subflow_cycle',
          nodeId: where,
          message: `subflow "${def.name}" contains itself (instance '${flatId}'): a subflow cannot use itself, directly or through another subflow`,
        });
        continue;
      }
      used[subflowKey(def.id, def.version)] = def;
      const child = expandLevel(withExposedParams(def, node.params ?? {}), `${flatId}/`, [...chain, def.id], where);
      inner.set(node.id, { ...child, def });
      nodes.push(...child.nodes);
      edges.push(...child.edges);
      for (const port of [...def.inputs.flatMap((p) => p.targets), ...def.outputs.map((p) => p.source)]) {
        if (!def.graph.nodes.some((n) => n.id === port.node)) {
          problems.push({
            code: 'unknown_port',
            nodeId: where,
            message: `in subflow instance '${flatId}' (${label}): a port leads to node '${port.node}', which the subflow does not have`,
          });
        }
      }
    }
    const inputsOf = (node: string, port: string): SubflowEndpoint[] => {
      const sub = inner.get(node);
      if (!sub) return [{ node: prefix + node, port }];
      const declared = sub.def.inputs.find((p) => p.name === port);
      return declared ? declared.targets.flatMap((t) => sub.inputsOf(t.node, t.port)) : [];
    };
    const outputOf = (node: string, port: string): SubflowEndpoint | undefined => {
      const sub = inner.get(node);
      if (!sub) return { node: prefix + node, port };
      const declared = sub.def.outputs.find((p) => p.name === port);
      return declared ? sub.outputOf(declared.source.node, declared.source.port) : undefined;
    };
    for (const edge of graph.edges) {
      const source = outputOf(edge.source, edge.sourceHandle);
      const targets = inputsOf(edge.target, edge.targetHandle);
      if (!source) continue; // an unknown instance output: the outer validator names it
      targets.forEach((t, i) => {
        edges.push({
          ...(edge.id ? { id: prefix + edge.id + (targets.length > 1 ? `#${i}` : '') } : {}),
          source: source.node,
          sourceHandle: source.port,
          target: t.node,
          targetHandle: t.port,
        });
      });
    }
    return { nodes, edges, inputsOf, outputOf };
  };

  const top = expandLevel(doc, '', [], undefined);
  return { doc: { nodes: top.nodes, edges: top.edges }, used, instances, problems };
}

/**
 * Params that name other nodes of the same graph follow their ids into the namespace: a retry
 * gate's `rerunFrom` ("P") and `adjust[].param` ("S.quality") inside a subflow.
 */
function namespaceNodeRefs(params: Record<string, unknown>, graph: GraphDoc, prefix: string): Record<string, unknown> {
  const local = (id: unknown) => typeof id === 'string' && graph.nodes.some((n) => n.id === id);
  const out = { ...params };
  if (local(out.rerunFrom)) out.rerunFrom = prefix + (out.rerunFrom as string);
  if (Array.isArray(out.adjust)) {
    out.adjust = out.adjust.map((step: unknown) => {
      const ref = (step as { param?: unknown })?.param;
      const dot = typeof ref === 'string' ? ref.indexOf('.') : -1;
      return dot > 0 && local((ref as string).slice(0, dot)) ? { ...(step as object), param: prefix + (ref as string) } : step;
    });
  }
  return out;
}

/** The subflow's graph with an instance's params set on the inner params they expose. */
function withExposedParams(def: SubflowDefinition, values: Record<string, unknown>): GraphDoc {
  const nodes = def.graph.nodes.map((n) => ({ ...n, params: { ...(n.params ?? {}) } }));
  for (const exposed of def.params) {
    const value = values[exposed.name] !== undefined ? values[exposed.name] : exposed.default;
    const node = nodes.find((n) => n.id === exposed.node);
    if (node && value !== undefined) node.params[exposed.param] = value;
  }
  return { nodes, edges: def.graph.edges };
}

function describeInstance(prefix: string, id: string, instances: Record<string, SubflowInstanceInfo>): string {
  if (!prefix) return `subflow instance '${id}'`;
  const parent = prefix.slice(0, -1);
  return `in subflow instance '${parent}' (${subflowLabel(instances[parent])}): subflow instance '${id}'`;
}

/**
 * Says where a problem of the flat (expanded) graph lies in the graph a person edits:
 * "in subflow instance 'clean' (Cutout v2): node 'seg' …", pointing at the outer instance node.
 */
export function explainExpandedProblem(problem: GraphProblem, instances: Record<string, SubflowInstanceInfo>): GraphProblem {
  const flatId = problem.nodeId;
  const slash = flatId?.lastIndexOf('/') ?? -1;
  if (!flatId || slash < 0) return problem;
  const instance = flatId.slice(0, slash);
  const innerId = flatId.slice(slash + 1);
  const local = problem.message.split(`${instance}/`).join('');
  return {
    ...problem,
    nodeId: flatId.split('/')[0],
    message: `in subflow instance '${instance}' (${subflowLabel(instances[instance])}): node '${innerId}': ${local}`,
  };
}

/** What "Make subflow" computes from a selection: the inner graph, its ports from the cut edges, and the rewired outer graph. */
export interface SubflowCut {
  graph: GraphDoc;
  inputs: SubflowInputPort[];
  outputs: SubflowOutputPort[];
  /** Outer edges into the selection, each with the new input port it now targets. */
  incoming: Array<{ edge: GraphEdge; port: string }>;
  /** Outer edges out of the selection, each with the new output port it now leaves from. */
  outgoing: Array<{ edge: GraphEdge; port: string }>;
}

/**
 * Cuts the selected nodes out of a graph: an input port for every distinct inner input fed from
 * outside (one port when several inner inputs share the same outer source), an output port for
 * every inner output read outside. Port names are the inner port names, suffixed when taken.
 */
export function cutSubflow(doc: GraphDoc, selected: ReadonlySet<string>, catalog: readonly NodeTypeDescriptor[]): SubflowCut {
  const types = new Map(catalog.map((d) => [d.type, d]));
  const typeOf = (nodeId: string) => types.get(doc.nodes.find((n) => n.id === nodeId)?.type ?? '');
  const graph: GraphDoc = {
    nodes: doc.nodes.filter((n) => selected.has(n.id)).map((n) => structuredClone(n)),
    edges: doc.edges.filter((e) => selected.has(e.source) && selected.has(e.target)).map((e) => ({ ...e })),
  };
  const taken = new Set<string>();
  const freshName = (base: string) => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    return name;
  };
  const inputs: SubflowInputPort[] = [];
  const incoming: SubflowCut['incoming'] = [];
  const bySource = new Map<string, SubflowInputPort>();
  for (const edge of doc.edges) {
    if (selected.has(edge.source) || !selected.has(edge.target)) continue;
    const sourceKey = `${edge.source}.${edge.sourceHandle}`;
    const type = typeOf(edge.target)?.inputs.find((p) => p.name === edge.targetHandle)?.type
      ?? typeOf(edge.source)?.outputs.find((p) => p.name === edge.sourceHandle)?.type
      ?? 'image';
    let port = bySource.get(sourceKey);
    // One outer source feeding several inner inputs of one type becomes one port.
    if (!port || port.type !== type) {
      port = { name: freshName(edge.targetHandle), type, targets: [] };
      bySource.set(sourceKey, port);
      inputs.push(port);
    }
    port.targets.push({ node: edge.target, port: edge.targetHandle });
    incoming.push({ edge, port: port.name });
  }
  taken.clear();
  const outputs: SubflowOutputPort[] = [];
  const outgoing: SubflowCut['outgoing'] = [];
  const byInner = new Map<string, SubflowOutputPort>();
  for (const edge of doc.edges) {
    if (!selected.has(edge.source) || selected.has(edge.target)) continue;
    const innerKey = `${edge.source}.${edge.sourceHandle}`;
    let port = byInner.get(innerKey);
    if (!port) {
      const type = typeOf(edge.source)?.outputs.find((p) => p.name === edge.sourceHandle)?.type ?? 'image';
      port = { name: freshName(edge.sourceHandle), type, source: { node: edge.source, port: edge.sourceHandle } };
      byInner.set(innerKey, port);
      outputs.push(port);
    }
    outgoing.push({ edge, port: port.name });
  }
  return { graph, inputs, outputs, incoming, outgoing };
}

/** The outer graph after "Make subflow": the selection replaced by one instance wired to the same edges. */
export function replaceWithInstance(doc: GraphDoc, cut: SubflowCut, instance: GraphNode): GraphDoc {
  const inside = new Set(cut.graph.nodes.map((n) => n.id));
  const nodes = [...doc.nodes.filter((n) => !inside.has(n.id)), instance];
  const kept = doc.edges.filter((e) => !inside.has(e.source) && !inside.has(e.target));
  const seen = new Set<string>();
  const rewired: GraphEdge[] = [];
  const add = (e: GraphEdge) => {
    const key = `${e.source}.${e.sourceHandle}>${e.target}.${e.targetHandle}`;
    if (seen.has(key)) return;
    seen.add(key);
    rewired.push(e); // no id: each client derives its own (the editor's edgeId)
  };
  for (const { edge, port } of cut.incoming) add({ source: edge.source, sourceHandle: edge.sourceHandle, target: instance.id, targetHandle: port });
  for (const { edge, port } of cut.outgoing) add({ source: instance.id, sourceHandle: port, target: edge.target, targetHandle: edge.targetHandle });
  return { nodes, edges: [...kept, ...rewired] };
}

/** Why a subflow's ports do not fit its inner nodes (names, endpoints, types); empty when they do. Checked when it is saved. */
export function subflowPortProblems(def: Pick<SubflowDefinition, 'graph' | 'inputs' | 'outputs'>, catalog: readonly NodeTypeDescriptor[]): string[] {
  const types = new Map(catalog.map((d) => [d.type, d]));
  const problems: string[] = [];
  const names = new Set<string>();
  for (const port of [...def.inputs, ...def.outputs]) {
    if (names.has(`${'targets' in port ? 'in' : 'out'}:${port.name}`)) problems.push(`port "${port.name}" is declared twice`);
    names.add(`${'targets' in port ? 'in' : 'out'}:${port.name}`);
  }
  for (const port of def.inputs) {
    for (const t of port.targets) {
      const node = def.graph.nodes.find((n) => n.id === t.node);
      const inner = node && types.get(node.type)?.inputs.find((p) => p.name === t.port);
      if (!node) problems.push(`input "${port.name}" leads to node '${t.node}', which the subflow does not have`);
      else if (!inner) problems.push(`input "${port.name}" leads to '${t.node}.${t.port}', which is no input of ${node.type}`);
      else if (!canConnect(port.type, inner.type)) problems.push(`input "${port.name}" (${port.type}) cannot feed '${t.node}.${t.port}' (${inner.type})`);
    }
  }
  for (const port of def.outputs) {
    const node = def.graph.nodes.find((n) => n.id === port.source.node);
    const inner = node && types.get(node.type)?.outputs.find((p) => p.name === port.source.port);
    if (!node) problems.push(`output "${port.name}" comes from node '${port.source.node}', which the subflow does not have`);
    else if (!inner) problems.push(`output "${port.name}" comes from '${port.source.node}.${port.source.port}', which is no output of ${node.type}`);
    else if (!canConnect(inner.type, port.type)) problems.push(`output "${port.name}" (${port.type}) cannot carry '${port.source.node}.${port.source.port}' (${inner.type})`);
  }
  return problems;
}

/**
 * A drawn node's descriptor: its catalog entry, or for a subflow instance, the node type of the
 * subflow version the document carries (a committed version's instance params are checked here).
 */
export function nodeDescriptor(doc: Pick<GraphDoc, 'subflows'>, node: GraphNode, catalog: readonly NodeTypeDescriptor[]): NodeTypeDescriptor | undefined {
  const id = subflowIdOf(node.type);
  if (id === undefined) return catalog.find((d) => d.type === node.type);
  const def = embeddedResolver(doc)(id, node.subflowVersion ?? 'latest');
  return def && subflowDescriptor(def);
}
