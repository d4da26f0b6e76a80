import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where every process (API, workers, GPU runtime) finds PostgreSQL, Redis and the artifact files. */
export interface ServiceEnv {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and channel (queues, rate limits, notices), always hash-tagged: `{studioflow}`. */
  queuePrefix: string;
  /** STORAGE_URL: `file:///folder` (the default, STORAGE_DIR) or `s3://bucket?endpoint=…&region=…`. */
  storageUrl: string;
  /** The folder store; with an object store, where this machine keeps its read-through cache. */
  storageDir: string;
  /** STORAGE_CACHE_MB: the read-through cache's budget per process, in bytes. */
  storageCacheBytes: number;
}

/** The repository root, from runtime/dist/src/config. */
const repoRoot = resolve(__dirname, '../../../..');

/** One reading of the shared service settings, so the processes can never disagree on a default. */
export function serviceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/studioflow',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: hashTaggedPrefix(env.QUEUE_PREFIX || 'studioflow'),
    ...storage(env),
  };
}

function storage(env: NodeJS.ProcessEnv): Pick<ServiceEnv, 'storageUrl' | 'storageDir' | 'storageCacheBytes'> {
  const url = env.STORAGE_URL?.trim() || undefined;
  // A folder named by STORAGE_URL is the store; STORAGE_DIR is then not read.
  const dir = url?.startsWith('file:') ? fileURLToPath(url) : resolve(env.STORAGE_DIR ?? resolve(repoRoot, '.storage'));
  const cacheMb = env.STORAGE_CACHE_MB ? Number(env.STORAGE_CACHE_MB) : 1024;
  if (!(cacheMb >= 0)) throw new Error('STORAGE_CACHE_MB must be a number of MiB (0 turns the read-through cache off)');
  return { storageUrl: url ?? pathToFileURL(dir).href, storageDir: dir, storageCacheBytes: Math.round(cacheMb * 2 ** 20) };
}

/**
 * Redis Cluster runs a multi-key command (every BullMQ script) only when all its keys hash to one slot,
 * and hashes only the `{tag}` of a key that has one. A prefix without a tag is wrapped in one, so every
 * key of an install lands in one slot and no setting can make the queues unusable on a cluster.
 * Idempotent: a prefix passed twice (parent process, then child through QUEUE_PREFIX) stays the same.
 */
export function hashTaggedPrefix(prefix: string): string {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix : `{${prefix}}`;
}
