import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { describeNode, NO_MODEL_POOL, type ArtifactRef, type CostPart, type Device, type ModelAccess, type NodeContext, type NodeDefinition, type PortValues, type RunInfo } from '@studioflow/runtime/contract';
// The factory alone: the worker entry would load BullMQ and pg into every importer of this package.
import { createNodeContext } from '@studioflow/runtime/worker/node-context';
import { CostMeter } from '@studioflow/runtime/worker/cost-meter';
import { checkParams, type NodeTypeDescriptor } from '@studioflow/runtime/graph';

export interface ProgressEvent {
  nodeId: string;
  fraction: number;
  message?: string;
}

/**
 * Runs node definitions directly against a LocalArtifactStore in a temporary directory, with a
 * real NodeContext: no scheduler, no queue. For unit tests and benchmarks.
 */
export class NodeHarness {
  readonly progress: ProgressEvent[] = [];
  readonly logs: Array<{ level: string; msg: string; extra?: Record<string, unknown> }> = [];
  /** Every ctx.cost report, by the node that made it (checked as the worker host checks it). */
  readonly costs: Array<{ nodeId: string } & CostPart> = [];
  private counter = 0;

  private constructor(
    readonly store: LocalArtifactStore,
    readonly run: RunInfo,
    private readonly ownsDir: boolean,
    private readonly slot: { device: Device; models: ModelAccess },
  ) {}

  /**
   * A harness over a fresh temp dir (or `dir`); call close() to delete a temp dir. `models` stands in
   * for a GPU runtime slot's pool (default: none, like a CPU worker).
   */
  static async create(options: { dir?: string; run?: Partial<RunInfo>; models?: ModelAccess; device?: Device } = {}): Promise<NodeHarness> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sf-nodes-')));
    const run: RunInfo = { runId: `run-${process.pid}-${Date.now()}`, tenantId: 'test-tenant', ...options.run };
    const slot = { device: options.device ?? 'cpu', models: options.models ?? NO_MODEL_POOL };
    return new NodeHarness(new LocalArtifactStore(dir), run, options.dir === undefined, slot);
  }

  /** Stores bytes as an artifact (e.g. an upload). */
  put(bytes: Buffer, mime = 'application/octet-stream', meta?: Record<string, unknown>): Promise<ArtifactRef> {
    return this.store.put(bytes, { mime, meta });
  }

  get(ref: ArtifactRef | string): Promise<Buffer> {
    return this.store.get(typeof ref === 'string' ? ref : ref.hash);
  }

  /** A context for one node; `wants` lists the outputs the caller will use (default: all); `model` as placed by the plan. */
  context(nodeId: string, signal: AbortSignal = new AbortController().signal, wants?: readonly string[], model?: string): NodeContext {
    return createNodeContext({
      device: this.slot.device,
      models: this.slot.models,
      ...(model ? { model } : {}),
      run: this.run,
      nodeId,
      artifacts: this.store.access(),
      signal,
      onProgress: (fraction, message) => this.progress.push({ nodeId, fraction, message }),
      onCost: (part) => {
        new CostMeter().record(part);
        this.costs.push({ nodeId, ...part });
      },
      log: {
        info: (msg, extra) => this.logs.push({ level: 'info', msg, extra }),
        warn: (msg, extra) => this.logs.push({ level: 'warn', msg, extra }),
        error: (msg, extra) => this.logs.push({ level: 'error', msg, extra }),
      },
      wants,
    });
  }

  /** Runs one node with its params as a plan gives them (checked, defaults applied), placed as compilePlan would place it. */
  async runNode<P, I>(def: NodeDefinition<P, I>, inputs: NoInfer<I>, params: Partial<P> = {}, nodeId?: string): Promise<PortValues> {
    const id = nodeId ?? `${def.type}-${++this.counter}`;
    const full = planParams(def, params);
    return def.run(this.context(id, undefined, undefined, def.placement?.(full).model?.id), inputs, full);
  }

  async close(): Promise<void> {
    if (this.ownsDir) await rm(this.store.dir, { recursive: true, force: true });
  }
}

const descriptors = new WeakMap<NodeDefinition<any, any>, NodeTypeDescriptor>();

/** A node's params as compilePlan gives them: checked against its schema, defaults applied. */
export function planParams<P>(def: NodeDefinition<P, any>, params: Partial<P> = {}): P {
  let descriptor = descriptors.get(def);
  if (!descriptor) descriptors.set(def, (descriptor = describeNode(def)));
  const checked = checkParams(descriptor, params as Record<string, unknown>);
  if (!checked.ok) throw new Error(`${def.type} params: ${checked.errors.join('; ')}`);
  return checked.params as P;
}

/** The `default` of every param in a node's schema. */
export function schemaDefaults<P>(def: NodeDefinition<P, any>): P {
  return planParams(def);
}
