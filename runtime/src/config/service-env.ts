import { resolve } from 'node:path';

/** Where every process (API, workers, GPU runtime) finds PostgreSQL, Redis and the artifact files. */
export interface ServiceEnv {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and channel (queues, rate limits, notices), always hash-tagged: `{studioflow}`. */
  queuePrefix: string;
  storageDir: string;
}

/** The repository root, from runtime/dist/src/config. */
const repoRoot = resolve(__dirname, '../../../..');

/** One reading of the shared service settings, so the processes can never disagree on a default. */
export function serviceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  return {
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/studioflow',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: hashTaggedPrefix(env.QUEUE_PREFIX || 'studioflow'),
    storageDir: resolve(env.STORAGE_DIR ?? resolve(repoRoot, '.storage')),
  };
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
