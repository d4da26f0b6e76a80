import { stat } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { PermanentNodeError, type NodeLogger } from '@studioflow/runtime/contract';
import { MODEL_CONFIG_HINT } from './model-registry';

export type ExecutionProvider = 'cpu' | 'cuda';

/** Loaded on first use: hosts that never run a model (the API server) skip the native library. */
export function onnxRuntime(): Promise<typeof import('onnxruntime-node')> {
  return import('onnxruntime-node');
}

export interface PooledSession {
  session: InferenceSession;
  /** What the session actually runs on (cuda may have fallen back to cpu). */
  provider: ExecutionProvider;
  path: string;
}

/** STUDIOFLOW_EXECUTION_PROVIDER=cuda asks for the GPU; anything else is the CPU. */
export function configuredProvider(): ExecutionProvider {
  return process.env.STUDIOFLOW_EXECUTION_PROVIDER?.trim().toLowerCase() === 'cuda' ? 'cuda' : 'cpu';
}

/**
 * One session per (model file, provider) per process: creating one parses and optimises the whole
 * graph (seconds for a 1024² segmentation model) and holds its weights, so it is never per job.
 * A failed load is not cached, so fixing the file and retrying works without a restart.
 */
class OnnxSessionPool {
  private readonly sessions = new Map<string, Promise<PooledSession>>();
  /** Sessions created so far (tests check reuse with it). */
  created = 0;

  get(path: string, provider: ExecutionProvider, log?: NodeLogger): Promise<PooledSession> {
    const key = `${path}\u0000${provider}`;
    let entry = this.sessions.get(key);
    if (!entry) {
      entry = this.create(path, provider, log);
      this.sessions.set(key, entry);
      entry.catch(() => this.sessions.delete(key));
    }
    return entry;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Releases every session (worker shutdown, tests). */
  async clear(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const p of all) {
      const s = await p.catch(() => null);
      await s?.session.release().catch(() => undefined);
    }
  }

  private async create(path: string, provider: ExecutionProvider, log?: NodeLogger): Promise<PooledSession> {
    await assertModelFile(path);
    const { InferenceSession } = await onnxRuntime();
    if (provider === 'cuda') {
      try {
        const session = await InferenceSession.create(path, { executionProviders: ['cuda'] });
        this.created++;
        return { session, provider: 'cuda', path };
      } catch (err) {
        // A missing CUDA runtime should slow jobs down, not fail them; the warning says why.
        log?.warn('CUDA execution provider unavailable, running the model on the CPU', { path, error: (err as Error).message });
      }
    }
    try {
      const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
      this.created++;
      return { session, provider: 'cpu', path };
    } catch (err) {
      throw new PermanentNodeError(`model file ${path} could not be loaded as an ONNX model: ${(err as Error).message}`);
    }
  }
}

export const onnxSessionPool = new OnnxSessionPool();

async function assertModelFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new PermanentNodeError(`model file not found: ${path} (${MODEL_CONFIG_HINT})`);
  if (!info.isFile()) throw new PermanentNodeError(`model path is not a file: ${path}`);
  if (info.size < 16) throw new PermanentNodeError(`model file ${path} is too small to be an ONNX model (${info.size} bytes)`);
}
