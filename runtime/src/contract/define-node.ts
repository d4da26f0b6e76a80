import type { Static, TObject } from '@sinclair/typebox';
import type { NodeTypeDescriptor, ParamSchema, PortSpec, Resource } from '../graph/types';
import { paramValidator } from '../graph/validate';
import type { NodePlacement } from '../scheduler/plan';
export type { NodePlacement, PlacedModel } from '../scheduler/plan';
import type { NodeContext } from './context';
import type { PortValue, PortValues } from './values';

export interface NodeDefinition<P = Record<string, unknown>> {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  resource: Resource;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Values the host binds when a run starts, not edges: e.g. the uploaded photo (`upload`). */
  seeds?: PortSpec[];
  params: TObject;
  /** False for nodes whose output is not a function of their inputs (random seed, human review). */
  cacheable: boolean;
  /** Default per-attempt timeout; the runtime aborts ctx.signal when it passes. */
  timeoutMs?: number;
  /** Default attempts including the first (runtime default 3). */
  retries?: number;
  /** Parks the run for a person's decision instead of running on a worker (human review). */
  parks?: boolean;
  /**
   * Facts outside params and inputs that change the output (e.g. which model file is configured):
   * folded into the execution-cache key so a new model never serves an old result.
   */
  cacheSalt?: () => string;
  /**
   * Where a node with these params runs, decided when the plan is compiled: e.g. segment goes to the
   * GPU runtime when a model is configured. Absent: always on `resource`.
   */
  placement?: (params: P) => NodePlacement;
  run(ctx: NodeContext, inputs: Record<string, PortValue | undefined>, params: P): Promise<PortValues>;
}

/** Declares a node type: one schema gives the params' TypeScript type and their JSON Schema. */
export function defineNode<S extends TObject>(def: Omit<NodeDefinition<Static<S>>, 'params'> & { params: S }): NodeDefinition<Static<S>> {
  return def;
}

/** The JSON form served at GET /api/node-types and used by the validator and the editor. */
export function describeNode(def: NodeDefinition<any>): NodeTypeDescriptor {
  const params = JSON.parse(JSON.stringify(def.params)) as ParamSchema;
  return {
    type: def.type,
    version: def.version,
    title: def.title,
    category: def.category,
    description: def.description,
    resource: def.resource,
    inputs: def.inputs,
    outputs: def.outputs,
    ...(def.seeds?.length ? { seeds: def.seeds } : {}),
    params: { additionalProperties: false, ...params },
    cacheable: def.cacheable,
    ...(def.retries !== undefined ? { retries: def.retries } : {}),
    ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs } : {}),
    ...(def.parks ? { parks: true } : {}),
    ...(def.cacheSalt ? { cacheSalt: shortHash(def.cacheSalt()) } : {}),
  };
}

/** A lookup of node definitions by type, with their descriptors. */
export class NodeCatalog {
  private readonly byType = new Map<string, NodeDefinition<any>>();
  readonly descriptors: NodeTypeDescriptor[];

  constructor(definitions: readonly NodeDefinition<any>[]) {
    for (const d of definitions) {
      if (this.byType.has(d.type)) throw new Error(`node type "${d.type}" is defined twice`);
      this.byType.set(d.type, d);
    }
    this.descriptors = definitions.map(describeNode);
    // Compile every param validator now, once: compiled lazily on a process's first run, ajv's code
    // generation makes V8 throw away the pixel loops a worker's warm-up has just optimised.
    for (const d of this.descriptors) paramValidator(d);
  }

  get(type: string): NodeDefinition<any> {
    const def = this.byType.get(type);
    if (!def) throw new Error(`unknown node type "${type}"`);
    return def;
  }

  /** The compile-time placement of a node (compilePlan's `place` option). */
  readonly place = (type: string, params: Record<string, unknown>): NodePlacement | undefined => this.get(type).placement?.(params);

  has(type: string): boolean {
    return this.byType.has(type);
  }

  list(): NodeDefinition<any>[] {
    return [...this.byType.values()];
  }
}

/** FNV-1a: a short, stable, browser-safe fingerprint (the salt may name local file paths). */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
