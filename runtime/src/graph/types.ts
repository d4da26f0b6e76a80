import type { PortType } from './ports';

/** A node instance in a graph document. */
export interface GraphNode {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  position?: { x: number; y: number };
  label?: string;
  /** Per-node override of the node type's retry policy. */
  retry?: { attempts?: number; backoffMs?: number };
  /** Per-node override of the per-attempt timeout. */
  timeoutMs?: number;
}

export interface GraphEdge {
  id?: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/** The saved form of a pipeline. Graph versions store exactly this. */
export interface GraphDoc {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface PortSpec {
  name: string;
  type: PortType;
  label?: string;
  description?: string;
  /** An optional input may stay unconnected. Outputs ignore this. */
  optional?: boolean;
  /** An input that accepts several edges (fan-in); its value is then a list. */
  multiple?: boolean;
}

export type Resource = 'cpu' | 'gpu' | 'cloud';

/** JSON Schema for a node's params; always an object schema. */
export interface ParamSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
  [key: string]: unknown;
}

/** The serialisable description of a node type: what GET /api/node-types returns. */
export interface NodeTypeDescriptor {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  resource: Resource;
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  /** Values bound when a run starts, not by edges (the uploaded photo: `upload`). */
  seeds?: readonly PortSpec[];
  params: ParamSchema;
  cacheable: boolean;
  /** Default attempts (including the first) for this node type. */
  retries?: number;
  /** Default per-attempt timeout. */
  timeoutMs?: number;
  /** A node that parks the run until a person decides (human review); never sent to a worker. */
  parks?: boolean;
  /** Fingerprint of configuration that changes outputs (e.g. the model file); part of the cache key. */
  cacheSalt?: string;
}

export type ProblemCode =
  | 'invalid_document'
  | 'duplicate_node_id'
  | 'invalid_node_id'
  | 'unknown_node_type'
  | 'invalid_params'
  | 'dangling_edge'
  | 'unknown_port'
  | 'ill_typed_edge'
  | 'duplicate_input'
  | 'missing_input'
  | 'cycle'
  | 'empty_graph';

export interface GraphProblem {
  code: ProblemCode;
  message: string;
  nodeId?: string;
  port?: string;
  edgeIndex?: number;
}

export interface ValidationResult {
  ok: boolean;
  problems: GraphProblem[];
}
