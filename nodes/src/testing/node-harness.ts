import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { wantsFrom, type ArtifactRef, type NodeContext, type NodeDefinition, type PortValues, type RunInfo } from '@studioflow/runtime/contract';

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
  ) {}

  /** A harness over a fresh temp dir (or `dir`); call close() to delete a temp dir. */
  static async create(options: { dir?: string; run?: Partial<RunInfo> } = {}): Promise<NodeHarness> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sf-nodes-')));
    const run: RunInfo = { runId: `run-${process.pid}-${Date.now()}`, tenantId: 'test-tenant', ...options.run };
    return new NodeHarness(new LocalArtifactStore(dir), run, options.dir === undefined);
  }

  /** Stores bytes as an artifact (e.g. an upload). */
  put(bytes: Buffer, mime = 'application/octet-stream', meta?: Record<string, unknown>): Promise<ArtifactRef> {
    return this.store.put(bytes, { mime, meta });
  }

  get(ref: ArtifactRef | string): Promise<Buffer> {
    return this.store.get(typeof ref === 'string' ? ref : ref.hash);
  }

  /** A context for one node; `wants` lists the outputs the caller will use (default: all). */
  context(nodeId: string, signal: AbortSignal = new AbortController().signal, wants?: readonly string[]): NodeContext {
    return {
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

  /** Runs one node with params defaulted from its schema (explicit params win). */
  async runNode<P, I>(def: NodeDefinition<P, I>, inputs: NoInfer<I>, params: Partial<P> = {}, nodeId?: string): Promise<PortValues> {
    const id = nodeId ?? `${def.type}-${++this.counter}`;
    return def.run(this.context(id), inputs, { ...schemaDefaults(def), ...params } as P);
  }

  async close(): Promise<void> {
    if (this.ownsDir) await rm(this.store.dir, { recursive: true, force: true });
  }
}

/** The `default` of every param in a node's TypeBox schema. */
export function schemaDefaults(def: Pick<NodeDefinition<any, any>, 'params'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def.params.properties ?? {})) {
    if (v && typeof v === 'object' && 'default' in v) out[k] = (v as { default: unknown }).default;
  }
  return out;
}
