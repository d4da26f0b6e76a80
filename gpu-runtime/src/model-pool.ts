import { stat } from 'node:fs/promises';
import { PermanentNodeError, type Device, type ModelAccess, type ModelHandle, type NodeLogger } from '@studioflow/runtime/contract';

/** Where a model is and the configuration a node needs to use it (e.g. a segmentation preset). */
export interface ModelSource<Spec = unknown> {
  id: string;
  /** The file whose size is the model's memory estimate (an ONNX model: the model itself). */
  path?: string;
  /** The memory the model holds, when no single file tells (several files, a model server). */
  bytes?: number;
  spec: Spec;
}

/** A session a backend created, with what it really runs on and how to free it. */
export interface LoadedModel<Session = unknown> {
  session: Session;
  provider: 'cpu' | 'cuda';
  release(): Promise<void> | void;
}

export type ModelLoader = (source: ModelSource, device: Device, log: NodeLogger) => Promise<LoadedModel>;

/**
 * One kind of model a host serves (ONNX segmentation, CLIP encoders, a Cog server…): how a model id
 * resolves through the configuration and how it loads on a slot.
 */
export interface ModelBackend {
  name: string;
  /** The source of a configured model of this kind; null when the id is not one of its models. */
  resolve(modelId: string): ModelSource | null;
  load: ModelLoader;
  /** Ids of every configured model of this kind: what a host preloads and takes per-model jobs for. */
  configuredIds(): string[];
  /** How to configure this kind of model, for the "not configured" error. */
  configHint?: string;
}

export interface ModelPoolOptions {
  device: Device;
  /** Memory the slot's models may hold; a model's size is estimated from its file size. */
  budgetBytes: number;
  /** Asked in order: the first that resolves a model id loads it. */
  backends: readonly ModelBackend[];
  log: NodeLogger;
}

interface PoolEntry {
  source: ModelSource;
  backend: string;
  bytes: number;
  loaded: LoadedModel;
  loadMs: number;
  /** Jobs holding the model now: an entry in use is never evicted. */
  users: number;
  lastUsed: number;
}

export interface ColdStart {
  modelId: string;
  loadMs: number;
  provider: 'cpu' | 'cuda';
  at: string;
}

export interface ModelPoolStatus {
  device: Device;
  budgetBytes: number;
  usedBytes: number;
  loads: number;
  evictions: number;
  models: Array<{ id: string; backend: string; bytes: number; provider: 'cpu' | 'cuda'; loadMs: number; users: number }>;
  /** Every load so far, newest last (bounded). */
  coldStarts: ColdStart[];
}

const KEPT_COLD_STARTS = 100;

/**
 * One GPU slot's warm models, after ComfyUI's model_management (loaded models, evict to make room)
 * and BullMQ's child pool (retain/release per job): a model is loaded once, kept across jobs, and
 * the least recently used ones not in use are evicted when a new one would exceed the budget.
 */
export class ModelPool implements ModelAccess {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly loading = new Map<string, Promise<PoolEntry>>();
  private clock = 0;
  loads = 0;
  evictions = 0;
  readonly coldStarts: ColdStart[] = [];

  constructor(private readonly o: ModelPoolOptions) {}

  get device(): Device {
    return this.o.device;
  }

  /** Whether the model is loaded here (the slots prefer such a slot for its jobs). */
  holds(modelId: string): boolean {
    return this.entries.has(modelId);
  }

  get usedBytes(): number {
    let used = 0;
    for (const e of this.entries.values()) used += e.bytes;
    return used;
  }

  async acquire<Session = unknown, Spec = unknown>(modelId: string): Promise<ModelHandle<Session, Spec>> {
    const entry = this.entries.get(modelId) ?? (await this.load(modelId));
    entry.users++;
    entry.lastUsed = ++this.clock;
    let released = false;
    return {
      id: modelId,
      session: entry.loaded.session as Session,
      provider: entry.loaded.provider,
      device: this.o.device,
      spec: entry.source.spec as Spec,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        entry.lastUsed = ++this.clock;
      },
    };
  }

  /** Loads models before the host takes jobs; stops (with a log line) at the first that would not fit beside the others. */
  async preload(modelIds: readonly string[]): Promise<void> {
    for (const id of modelIds) {
      const found = this.resolve(id);
      const bytes = found ? await modelBytes(found.source).catch(() => 0) : 0;
      if (this.entries.size > 0 && this.usedBytes + bytes > this.o.budgetBytes) {
        this.o.log.warn('model not preloaded: the slot budget is full', { device: this.o.device, modelId: id, budgetBytes: this.o.budgetBytes });
        continue;
      }
      await this.acquire(id).then((h) => h.release());
    }
  }

  status(): ModelPoolStatus {
    return {
      device: this.o.device,
      budgetBytes: this.o.budgetBytes,
      usedBytes: this.usedBytes,
      loads: this.loads,
      evictions: this.evictions,
      models: [...this.entries.values()].map((e) => ({ id: e.source.id, backend: e.backend, bytes: e.bytes, provider: e.loaded.provider, loadMs: e.loadMs, users: e.users })),
      coldStarts: [...this.coldStarts],
    };
  }

  /** Frees every session (shutdown, tests). */
  async close(): Promise<void> {
    await Promise.allSettled(this.loading.values());
    for (const [id, e] of this.entries) {
      this.entries.delete(id);
      await Promise.resolve(e.loaded.release()).catch(() => undefined);
    }
  }

  /** One load per model at a time; a failed load is not kept, so fixing the file and retrying works. */
  private load(modelId: string): Promise<PoolEntry> {
    let pending = this.loading.get(modelId);
    if (!pending) {
      pending = this.loadNow(modelId).finally(() => this.loading.delete(modelId));
      this.loading.set(modelId, pending);
    }
    return pending;
  }

  private resolve(modelId: string): { source: ModelSource; backend: ModelBackend } | null {
    for (const backend of this.o.backends) {
      const source = backend.resolve(modelId);
      if (source) return { source, backend };
    }
    return null;
  }

  private async loadNow(modelId: string): Promise<PoolEntry> {
    const found = this.resolve(modelId);
    if (!found) {
      const hints = this.o.backends.map((b) => b.configHint).filter(Boolean);
      throw new PermanentNodeError(`model "${modelId}" is not configured on this GPU runtime${hints.length ? ` (${hints.join('; or ')})` : ''}`);
    }
    const { source, backend } = found;
    const bytes = await modelBytes(source);
    if (bytes > this.o.budgetBytes) {
      throw new PermanentNodeError(`model "${modelId}" (${mib(bytes)} MiB) is larger than the slot's model budget (${mib(this.o.budgetBytes)} MiB)`);
    }
    await this.makeRoom(bytes);
    const t0 = performance.now();
    const loaded = await backend.load(source, this.o.device, this.o.log);
    const loadMs = Math.round(performance.now() - t0);
    this.loads++;
    const entry: PoolEntry = { source, backend: backend.name, bytes, loaded, loadMs, users: 0, lastUsed: ++this.clock };
    this.entries.set(modelId, entry);
    this.coldStarts.push({ modelId, loadMs, provider: loaded.provider, at: new Date().toISOString() });
    if (this.coldStarts.length > KEPT_COLD_STARTS) this.coldStarts.shift();
    this.o.log.info('model loaded (cold start)', { modelId, device: this.o.device, provider: loaded.provider, loadMs, bytes });
    return entry;
  }

  /** Evicts the least recently used idle models until `bytes` more fit in the budget. */
  private async makeRoom(bytes: number): Promise<void> {
    const idle = [...this.entries.entries()].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [id, e] of idle) {
      if (this.usedBytes + bytes <= this.o.budgetBytes) return;
      this.entries.delete(id);
      this.evictions++;
      this.o.log.info('model evicted (least recently used)', { modelId: id, device: this.o.device, bytes: e.bytes });
      await Promise.resolve(e.loaded.release()).catch(() => undefined);
    }
    // Models in use stay: the slot briefly holds more than its budget rather than failing the job.
  }
}

async function modelBytes(source: ModelSource): Promise<number> {
  if (source.bytes !== undefined) return source.bytes;
  if (!source.path) throw new PermanentNodeError(`model "${source.id}" names neither a file nor its size`);
  return fileBytes(source.path);
}

async function fileBytes(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new PermanentNodeError(`model file not found: ${path}`);
  if (!info.isFile()) throw new PermanentNodeError(`model path is not a file: ${path}`);
  if (info.size < 16) throw new PermanentNodeError(`model file ${path} is too small to be an ONNX model (${info.size} bytes)`);
  return info.size;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
