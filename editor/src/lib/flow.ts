import type { Edge, Node } from '@xyflow/react';
import {
  PORT_TYPE_INFO,
  isPortType,
  type GraphDoc,
  type GraphEdge,
  type NodeTypeDescriptor,
} from '@studioflow/runtime/graph';

export type DiffState = 'added' | 'removed' | 'changed' | 'same';

export type FlowNodeData = {
  /** Node type name (catalog key). */
  type: string;
  params: Record<string, unknown>;
  label?: string;
  /** A subflow instance's pinned version (absent: follows the latest). */
  subflowVersion?: number;
  /** Bypassed: the run skips it and passes its same-typed inputs on. */
  disabled?: boolean;
  /** Set only on the diff view's canvas. */
  diff?: DiffState;
};

export type FlowEdgeData = {
  portType?: string;
  diff?: DiffState;
};

export type FlowNode = Node<FlowNodeData, 'sf'>;
export type FlowEdge = Edge<FlowEdgeData>;
export type Catalog = Record<string, NodeTypeDescriptor>;

export function edgeId(e: Pick<GraphEdge, 'source' | 'sourceHandle' | 'target' | 'targetHandle'>): string {
  return `e-${e.source}.${e.sourceHandle}-${e.target}.${e.targetHandle}`;
}

export function docToFlow(doc: GraphDoc, catalog: Catalog): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const nodes: FlowNode[] = doc.nodes.map((n, i) => ({
    id: n.id,
    type: 'sf',
    position: n.position ?? { x: 40 + (i % 4) * 280, y: 40 + Math.floor(i / 4) * 220 },
    data: {
      type: n.type,
      params: n.params ?? {},
      ...(n.label ? { label: n.label } : {}),
      ...(n.disabled ? { disabled: true } : {}),
      ...(typeof n.subflowVersion === 'number' ? { subflowVersion: n.subflowVersion } : {}),
    },
  }));
  const edges = doc.edges.map((e) => ({
    id: e.id ?? edgeId(e),
    source: e.source,
    sourceHandle: e.sourceHandle,
    target: e.target,
    targetHandle: e.targetHandle,
  }));
  return { nodes, edges: decorateEdges(edges, nodes, catalog) };
}

export function flowToDoc(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): GraphDoc {
  return {
    nodes: nodes.map((n) => ({
      id: n.id,
      type: n.data.type,
      params: n.data.params,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.label ? { label: n.data.label } : {}),
      ...(n.data.subflowVersion ? { subflowVersion: n.data.subflowVersion } : {}),
      ...(n.data.disabled ? { disabled: true } : {}),
    })),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      sourceHandle: e.sourceHandle ?? '',
      target: e.target,
      targetHandle: e.targetHandle ?? '',
    })),
  };
}

export function outputPortType(nodes: readonly FlowNode[], catalog: Catalog, nodeId: string, port: string | null | undefined) {
  const node = nodes.find((n) => n.id === nodeId);
  const d = node ? catalog[node.data.type] : undefined;
  return d?.outputs.find((p) => p.name === port)?.type;
}

export function inputPortType(nodes: readonly FlowNode[], catalog: Catalog, nodeId: string, port: string | null | undefined) {
  const node = nodes.find((n) => n.id === nodeId);
  const d = node ? catalog[node.data.type] : undefined;
  return d?.inputs.find((p) => p.name === port)?.type;
}

export function portColor(type: string | undefined): string {
  return type && isPortType(type) ? PORT_TYPE_INFO[type].color : '#6b7280';
}

/** Colours each edge by its source port type (edges are stored plain in the document). */
export function decorateEdges<E extends Edge>(edges: E[], nodes: readonly FlowNode[], catalog: Catalog): FlowEdge[] {
  return edges.map((e) => {
    const portType = outputPortType(nodes, catalog, e.source, e.sourceHandle);
    const data = { ...(e.data as FlowEdgeData | undefined), portType };
    return {
      ...e,
      type: 'sf',
      data,
    } as FlowEdge;
  });
}

/** Ids must match NODE_ID_PATTERN: derived from the type, then a number. */
export function newNodeId(type: string, taken: ReadonlySet<string>): string {
  // A subflow's type holds its uuid: `subflow_1` reads better than the uuid.
  let base = type.startsWith('subflow:') ? 'subflow' : type.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  if (!/^[A-Za-z]/.test(base)) base = `n${base}`;
  for (let i = 1; ; i++) {
    const id = `${base}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Params with the schema defaults filled in, so a new node shows (and saves) what it will run with. */
export function defaultParams(descriptor: NodeTypeDescriptor): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(descriptor.params.properties ?? {})) {
    if (schema.default !== undefined) out[name] = structuredClone(schema.default);
  }
  return out;
}
