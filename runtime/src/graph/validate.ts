import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { GraphDocSchema, NODE_ID_PATTERN } from './document-schema';
import { canConnect, connectionRefusal } from './ports';
import type { GraphDoc, GraphNode, GraphProblem, NodeTypeDescriptor, PortSpec, ValidationResult } from './types';
import { findCycle } from './topology';
import { gateProblems } from './gate-check';
import { bypassDisabled } from './bypass';
import { subflowIdOf } from './subflows';

/** Ajv with defaults filled in, shared by the server, the runtime and the editor. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
  // Formats our param schemas use; ajv ignores unknown formats, which would let bad colours through.
  ajv.addFormat('color', /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i);
  return ajv;
}

const ajv = createAjv();
const validateDocShape = ajv.compile(GraphDocSchema);
const paramValidators = new Map<string, ValidateFunction>();
const nodeIdRegex = new RegExp(NODE_ID_PATTERN);

export function paramValidator(descriptor: NodeTypeDescriptor): ValidateFunction {
  // A subflow's param schema comes from its saved definition, which a check before saving may differ from.
  const key = subflowIdOf(descriptor.type) !== undefined ? `${descriptor.type}@${descriptor.version}:${JSON.stringify(descriptor.params)}` : `${descriptor.type}@${descriptor.version}`;
  let fn = paramValidators.get(key);
  if (!fn) {
    fn = ajv.compile(descriptor.params);
    paramValidators.set(key, fn);
  }
  return fn;
}

export function describeAjvError(err: ErrorObject): string {
  const where = err.instancePath ? err.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const missing = err.keyword === 'required' ? String((err.params as { missingProperty?: string }).missingProperty) : '';
  const extra = err.keyword === 'additionalProperties'
    ? String((err.params as { additionalProperty?: string }).additionalProperty)
    : '';
  if (missing) return `${where ? `${where}.` : ''}${missing} is required`;
  if (extra) return `unknown param "${where ? `${where}.` : ''}${extra}"`;
  return `${where || 'value'} ${err.message ?? 'is invalid'}`;
}

/**
 * Checks params against a node type's schema, returning the params with defaults applied.
 * Never mutates the input.
 */
export function checkParams(
  descriptor: NodeTypeDescriptor,
  params: Record<string, unknown> | undefined,
): { ok: true; params: Record<string, unknown> } | { ok: false; errors: string[] } {
  const copy = structuredClone(params ?? {});
  const fn = paramValidator(descriptor);
  if (fn(copy)) return { ok: true, params: copy };
  return { ok: false, errors: (fn.errors ?? []).map(describeAjvError) };
}

/**
 * The one graph validator. Reports every problem it can find (not just the first), each with the
 * node id, port and a message a person can act on.
 */
export function validateGraph(doc: unknown, catalog: readonly NodeTypeDescriptor[]): ValidationResult {
  const { ok, problems } = validateWithParams(doc, catalog);
  return { ok, problems };
}

export interface ValidateOptions {
  /** An expanded subflow's ids (`<instance>/<inner>`): each segment follows the node id rule. */
  namespacedIds?: boolean;
  /** A node's descriptor when it is not its type's catalog entry (a pinned subflow version). */
  descriptorOf?: (node: GraphNode) => NodeTypeDescriptor | undefined;
}

/**
 * validateGraph, plus each node's params as checked (defaults applied) and the graph that runs
 * (disabled nodes bypassed), for the compiler to reuse.
 */
export function validateWithParams(
  doc: unknown,
  catalog: readonly NodeTypeDescriptor[],
  options: ValidateOptions = {},
): ValidationResult & { params: ReadonlyMap<string, Record<string, unknown>>; doc: GraphDoc } {
  if (!validateDocShape(doc)) {
    const problems = (validateDocShape.errors ?? []).slice(0, 20).map<GraphProblem>((e) => ({
      code: 'invalid_document',
      message: `graph ${describeAjvError(e)}`,
    }));
    return { ok: false, problems, params: new Map(), doc: { nodes: [], edges: [] } };
  }
  // A disabled subflow instance passes its inputs on by its own ports.
  const own = options.descriptorOf ? (doc as GraphDoc).nodes.flatMap((n) => options.descriptorOf!(n) ?? []) : [];
  const bypassed = bypassDisabled(doc as GraphDoc, own.length ? [...catalog, ...own] : catalog);
  const graph = bypassed.doc;
  const problems: GraphProblem[] = [...bypassed.problems];
  const types = new Map(catalog.map((d) => [d.type, d]));
  const nodes = new Map<string, NodeTypeDescriptor | undefined>();
  const checkedParams = new Map<string, Record<string, unknown>>();

  if (graph.nodes.length === 0) problems.push({ code: 'empty_graph', message: 'the graph has no nodes' });

  for (const node of graph.nodes) {
    if (nodes.has(node.id)) {
      problems.push({ code: 'duplicate_node_id', nodeId: node.id, message: `node id "${node.id}" is used more than once` });
      continue;
    }
    if (!(options.namespacedIds ? node.id.split('/') : [node.id]).every((segment) => nodeIdRegex.test(segment))) {
      problems.push({
        code: 'invalid_node_id',
        nodeId: node.id,
        message: `node id "${node.id}" must start with a letter and use only letters, digits, "_" or "-" (max 64)`,
      });
    }
    const descriptor = options.descriptorOf?.(node) ?? types.get(node.type);
    nodes.set(node.id, descriptor);
    if (!descriptor) {
      problems.push({ code: 'unknown_node_type', nodeId: node.id, message: `unknown node type "${node.type}"` });
      continue;
    }
    const checked = checkParams(descriptor, node.params);
    if (checked.ok) checkedParams.set(node.id, checked.params);
    if (!checked.ok) {
      for (const error of checked.errors) {
        problems.push({ code: 'invalid_params', nodeId: node.id, message: `${node.type}: ${error}` });
      }
    }
  }

  const incoming = new Map<string, number>(); // `${node}.${port}` -> edge count
  graph.edges.forEach((edge, edgeIndex) => {
    const sourceKnown = nodes.has(edge.source);
    const targetKnown = nodes.has(edge.target);
    if (!sourceKnown || !targetKnown) {
      const missing = [!sourceKnown ? edge.source : null, !targetKnown ? edge.target : null].filter(Boolean);
      problems.push({
        code: 'dangling_edge',
        edgeIndex,
        nodeId: sourceKnown ? edge.target : edge.source,
        message: `edge ${edge.source}.${edge.sourceHandle} → ${edge.target}.${edge.targetHandle} refers to missing node ${missing.join(', ')}`,
      });
      return;
    }
    const sourceType = nodes.get(edge.source);
    const targetType = nodes.get(edge.target);
    if (!sourceType || !targetType) return; // unknown type already reported
    const out = sourceType.outputs.find((p) => p.name === edge.sourceHandle);
    const inp = targetType.inputs.find((p) => p.name === edge.targetHandle);
    if (!out) {
      problems.push({
        code: 'unknown_port',
        edgeIndex,
        nodeId: edge.source,
        port: edge.sourceHandle,
        message: `${sourceType.type} has no output "${edge.sourceHandle}" (outputs: ${names(sourceType.outputs)})`,
      });
    }
    if (!inp) {
      problems.push({
        code: 'unknown_port',
        edgeIndex,
        nodeId: edge.target,
        port: edge.targetHandle,
        message: `${targetType.type} has no input "${edge.targetHandle}" (inputs: ${names(targetType.inputs)})`,
      });
    }
    if (!out || !inp) return;
    if (!canConnect(out.type, inp.type)) {
      problems.push({
        code: 'ill_typed_edge',
        edgeIndex,
        nodeId: edge.target,
        port: edge.targetHandle,
        message: `cannot connect ${edge.source}.${out.name} to ${edge.target}.${inp.name}: ${connectionRefusal(out.type, inp.type)}`,
      });
    }
    const key = `${edge.target}.${edge.targetHandle}`;
    const count = (incoming.get(key) ?? 0) + 1;
    incoming.set(key, count);
    if (count === 2 && !inp.multiple) {
      problems.push({
        code: 'duplicate_input',
        edgeIndex,
        nodeId: edge.target,
        port: edge.targetHandle,
        message: `input ${edge.target}.${edge.targetHandle} takes one connection but has several`,
      });
    }
  });

  for (const node of graph.nodes) {
    const descriptor = nodes.get(node.id);
    if (!descriptor) continue;
    for (const input of descriptor.inputs) {
      if (!input.optional && !incoming.has(`${node.id}.${input.name}`)) {
        problems.push({
          code: 'missing_input',
          nodeId: node.id,
          port: input.name,
          message: `required input "${input.name}" (${input.type}) of ${node.id} is not connected`,
        });
      }
    }
  }

  const cycle = findCycle(
    [...nodes.keys()],
    graph.edges.filter((e) => nodes.has(e.source) && nodes.has(e.target)),
  );
  if (cycle) {
    problems.push({
      code: 'cycle',
      nodeId: cycle[0],
      message: `the graph has a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }

  for (const [id, params] of checkedParams) {
    if (!nodes.get(id)?.gate) continue;
    const checkValue = (nodeId: string, param: string, value: unknown): string[] => {
      const descriptor = nodes.get(nodeId);
      if (!descriptor) return [];
      const checked = checkParams(descriptor, { ...checkedParams.get(nodeId), [param]: value });
      return checked.ok ? [] : checked.errors;
    };
    problems.push(...gateProblems(id, params, graph.edges, (n) => checkedParams.get(n), checkValue));
  }

  if (!cycle) problems.push(...unreviewedDoubts(checkedParams, nodes, graph.edges));

  return { ok: problems.length === 0, problems, params: checkedParams, doc: graph };
}

/**
 * A node set to hand doubtful results to a person (`trustCheck: review`, e.g. segment) needs a node
 * that parks for review downstream; without one, a doubtful result would be delivered unchecked.
 */
function unreviewedDoubts(
  params: ReadonlyMap<string, Record<string, unknown>>,
  nodes: ReadonlyMap<string, NodeTypeDescriptor | undefined>,
  edges: GraphDoc['edges'],
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  for (const [id, values] of params) {
    if (values.trustCheck !== 'review') continue;
    const seen = new Set([id]);
    const queue = [id];
    let reviewed = false;
    while (queue.length && !reviewed) {
      const from = queue.shift()!;
      for (const e of edges) {
        if (e.source !== from || seen.has(e.target)) continue;
        seen.add(e.target);
        if (nodes.get(e.target)?.parks) reviewed = true;
        queue.push(e.target);
      }
    }
    if (!reviewed) {
      problems.push({
        code: 'unreviewed_doubt',
        nodeId: id,
        message: `${id} sends doubtful results on for review (trustCheck: review), but no human review node follows it: add one, or use trustCheck fail`,
      });
    }
  }
  return problems;
}

function names(ports: readonly PortSpec[]): string {
  return ports.length ? ports.map((p) => p.name).join(', ') : 'none';
}
