import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { onSceneProviderChange, sceneProviderReport, type SceneProviderReport } from '@studioflow/nodes';

/**
 * Scene-provider state shared across processes: each worker keeps its breakers and in-flight counts
 * in memory and writes them to one Redis hash under the queue prefix (a field per worker); the API
 * reads the hash for GET /api/providers and the metrics.
 */

export function providerStateKey(prefix: string): string {
  return `${prefix}:providers`;
}

/** A worker's last word; entries older than this belong to a worker that is gone. */
const STALE_AFTER_MS = 60_000;
const HEARTBEAT_MS = 15_000;
/** Changes within this window are written once (a burst of jobs moves in-flight counts many times). */
const COALESCE_MS = 100;

export interface WorkerProviderState extends SceneProviderReport {
  worker: string;
  at: number;
}

/** Writes this process's provider state on every change (coalesced) and on a heartbeat; returns a stop function. */
export function publishProviderState(redis: Redis, prefix: string, worker = `${hostname()}:${process.pid}`): () => Promise<void> {
  const key = providerStateKey(prefix);
  let pending: NodeJS.Timeout | undefined;
  const write = () => {
    pending = undefined;
    const state: WorkerProviderState = { worker, at: Date.now(), ...sceneProviderReport() };
    // Best effort: the next change or heartbeat writes again.
    redis.hset(key, worker, JSON.stringify(state)).catch(() => undefined);
  };
  const stopListening = onSceneProviderChange(() => {
    pending ??= setTimeout(write, COALESCE_MS);
  });
  const heartbeat = setInterval(write, HEARTBEAT_MS);
  heartbeat.unref();
  write();
  return async () => {
    stopListening();
    clearInterval(heartbeat);
    if (pending) clearTimeout(pending);
    await redis.hdel(key, worker).catch(() => undefined);
  };
}

/** Every live worker's provider state; stale entries are dropped from the hash. */
export async function readProviderState(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerProviderState[]> {
  const key = providerStateKey(prefix);
  const fields = await redis.hgetall(key);
  const live: WorkerProviderState[] = [];
  const stale: string[] = [];
  for (const [field, text] of Object.entries(fields)) {
    try {
      const state = JSON.parse(text) as WorkerProviderState;
      if (now - state.at <= STALE_AFTER_MS) live.push(state);
      else stale.push(field);
    } catch {
      stale.push(field);
    }
  }
  if (stale.length) await redis.hdel(key, ...stale).catch(() => undefined);
  return live;
}
