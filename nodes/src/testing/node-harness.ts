import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { NO_MODEL_POOL, wantsFrom, type ArtifactRef, type Device, type ModelAccess, type NodeContext, type NodeDefinition, type PortValue, type PortValues, type RunInfo } from '@studioflow/runtime/contract';

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
    return {
      device: this.slot.device,
      models: this.slot.models,
      ...(model ? { model } : {}),
      run: this.run,
      nodeId,
      attempt: 1,
      artifacts: this.store.access(),
      signal,
      progress: (fraction, message) => this.progress.push({ nodeId, fraction, message }),
      log: {
        info: (msg, extra) => this.logs.push({ level: 'info', msg, extra }),
        warn: (msg, extra) => this.logs.push({ level: 'warn', msg, extra }),
        error: (msg, extra) => this.logs.push({ level: 'error', msg, extra }),
      },
      wants: wantsFrom(wants),
    };
  }

  /** Runs one node with params defaulted from its schema (explicit params win), placed as compilePlan would place it. */
  async runNode<P>(def: NodeDefinition<P>, inputs: Record<string, PortValue | undefined>, params: Partial<P> = {}, nodeId?: string): Promise<PortValues> {
    const id = nodeId ?? `${def.type}-${++this.counter}`;
    const full = { ...schemaDefaults(def), ...params } as P;
    return def.run(this.context(id, undefined, undefined, def.placement?.(full).model?.id), inputs, full);
  }

  async close(): Promise<void> {
    if (this.ownsDir) await rm(this.store.dir, { recursive: true, force: true });
  }
}

/** The `default` of every param in a node's TypeBox schema. */
export function schemaDefaults(def: NodeDefinition<any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def.params.properties ?? {})) {
    if (v && typeof v === 'object' && 'default' in v) out[k] = (v as { default: unknown }).default;
  }
  return out;
}
