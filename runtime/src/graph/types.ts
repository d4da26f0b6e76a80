import type { PortType } from './ports';
import type { SubflowDefinition, SubflowVersionRef } from './subflows';

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
  /** A subflow instance (`subflow:<id>`): the version it uses; absent means `latest`. */
  subflowVersion?: SubflowVersionRef;
  /** Bypassed: not run; each output passes on its same-typed input (graph/bypass.ts). */
  disabled?: boolean;
}

export interface GraphEdge {
  id?: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

/**
 * A sticky note or a group frame on the canvas: part of the document's ui, ignored by the validator
 * and the compiler. A group moves the nodes inside its frame with it.
 */
export interface GraphAnnotation {
  id: string;
  kind: 'note' | 'group';
  title: string;
  /** The note's text (groups have none). */
  text?: string;
  /** CSS colour, e.g. "#fde68a". */
  color: string;
  position: { x: number; y: number };
  size: { width: number; height: number };
}

/** The saved form of a pipeline. Graph versions store exactly this. */
export interface GraphDoc {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /**
   * The subflow versions its instances resolved to, keyed `<id>@<version>`: filled in when a graph
   * version is committed, so its runs never change meaning when a subflow gets a new version.
   */
  subflows?: Record<string, SubflowDefinition>;
  annotations?: GraphAnnotation[];
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

/**
 * What a node type declares, listed once: its definition (the node file) and its descriptor (the
 * JSON form) both extend this, describeNode copies these fields, and a plan node picks from them.
 */
export interface NodeTypeFields {
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
  /** False for nodes whose output is not a function of their inputs (random seed, human review). */
  cacheable: boolean;
  /** Default attempts including the first (runtime default 3). */
  retries?: number;
  /** Default per-attempt timeout, declared only when the runtime default does not fit; the runtime aborts ctx.signal when it passes. */
  timeoutMs?: number;
  /** A node that parks the run until a person decides (human review); never sent to a worker. */
  parks?: boolean;
  /**
   * A retry gate: the scheduler itself passes its image on or re-runs an upstream subgraph with
   * adjusted params (scheduler/retry-gate.ts); never sent to a worker.
   */
  gate?: boolean;
}

/** Every key of NodeTypeFields: the compiler asks for a new field here, and describeNode copies them all. */
const FIELD_KEYS: Record<keyof NodeTypeFields, true> = {
  type: true,
  version: true,
  title: true,
  category: true,
  description: true,
  resource: true,
  inputs: true,
  outputs: true,
  seeds: true,
  cacheable: true,
  retries: true,
  timeoutMs: true,
  parks: true,
  gate: true,
};
export const NODE_TYPE_FIELDS = Object.keys(FIELD_KEYS) as ReadonlyArray<keyof NodeTypeFields>;

/** The named fields of a node type that are set: an optional field left out stays out. */
export function pickFields<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

/** The serialisable description of a node type: what GET /api/node-types returns. */
export interface NodeTypeDescriptor extends NodeTypeFields {
  params: ParamSchema;
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
  | 'unreviewed_doubt'
  | 'empty_graph'
  | 'subflow_cycle'
  | 'bypass_blocked';

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
