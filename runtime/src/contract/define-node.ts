import type { Static, TObject } from '@sinclair/typebox';
import { NODE_TYPE_FIELDS, pickFields, type NodeTypeDescriptor, type NodeTypeFields, type ParamSchema, type PortSpec } from '../graph/types';
import { paramValidator } from '../graph/validate';
import { PermanentNodeError, type NodeContext } from './context';
import { ARTIFACT_PORT_TYPES, isArtifactRef, type NodeInputs, type PortValue, type PortValues } from './values';
import type { NodePlacement } from '../scheduler/plan';
export type { NodePlacement, PlacedModel } from '../scheduler/plan';

/** Inputs as a host hands them over, before they are checked against the node's ports. */
export type GivenInputs = Record<string, PortValue | undefined>;

export interface NodeDefinition<P = Record<string, unknown>, I = GivenInputs> extends NodeTypeFields {
  params: TObject;
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
  run(ctx: NodeContext, inputs: I, params: P): Promise<PortValues>;
}

/** What a node file declares: its ports give `inputs` their type, its schema gives `params` theirs. */
export type NodeDeclaration<I extends readonly PortSpec[], Seeds extends readonly PortSpec[], S extends TObject> =
  Omit<NodeDefinition<Static<S>, NodeInputs<I, Seeds>>, 'params' | 'inputs' | 'seeds'> & { params: S; inputs: I; seeds?: Seeds };

/**
 * Declares a node type. Its `run` gets the inputs its ports declare, already checked (see
 * declaredInputs), so a node checks only what its ports cannot say.
 */
export function defineNode<const I extends readonly PortSpec[], S extends TObject, const Seeds extends readonly PortSpec[] = readonly []>(
  def: NodeDeclaration<I, Seeds, S>,
): NodeDefinition<Static<S>, NodeInputs<I, Seeds>> {
  return { ...def, run: (ctx, inputs, params) => def.run(ctx, declaredInputs(def, inputs) as NodeInputs<I, Seeds>, params) };
}

/**
 * The inputs a node's ports declare, or a permanent error naming the port. The validator and
 * bindSeeds see that every required port is wired or bound; this catches a wired output its node
 * left empty, and a value of the wrong kind. Absent optional inputs are left out, a single
 * image on a candidates port becomes a list of one, and undeclared values are dropped.
 */
export function declaredInputs(def: Pick<NodeDefinition, 'type' | 'inputs' | 'seeds'>, given: GivenInputs): Record<string, PortValue> {
  const out: Record<string, PortValue> = {};
  const seeds = def.seeds ?? [];
  for (const port of [...def.inputs, ...seeds]) {
    const raw = given[port.name];
    const value = port.multiple
      ? (Array.isArray(raw) ? raw : [raw]).filter((v) => v != null).map((v) => portValue(def.type, port, v))
      : raw == null ? undefined : portValue(def.type, port, raw);
    if (value === undefined || (Array.isArray(value) && port.multiple && value.length === 0)) {
      if (port.optional && !seeds.includes(port)) continue;
      throw new PermanentNodeError(`${def.type}: no value arrived on input "${port.name}" (${port.type})`);
    }
    out[port.name] = value as PortValue;
  }
  return out;
}

function portValue(type: string, port: PortSpec, value: unknown): unknown {
  if (port.type === 'candidates') {
    const list = isArtifactRef(value) ? [value] : value;
    if (Array.isArray(list) && list.every(isArtifactRef)) return list;
  } else if (!ARTIFACT_PORT_TYPES.includes(port.type) || isArtifactRef(value)) {
    return value;
  }
  throw new PermanentNodeError(`${type}: input "${port.name}" (${port.type}) is not ${port.type === 'candidates' ? 'a list of artifacts' : 'an artifact'}`);
}

/** The JSON form served at GET /api/node-types and used by the validator and the editor. */
export function describeNode(def: NodeDefinition<any, any>): NodeTypeDescriptor {
  const params = JSON.parse(JSON.stringify(def.params)) as ParamSchema;
  return {
    ...pickFields(def, NODE_TYPE_FIELDS),
    params: { additionalProperties: false, ...params },
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
