import { resolve } from 'node:path';

/** Where every process (API, workers, GPU runtime) finds PostgreSQL, Redis and the artifact files. */
export interface ServiceEnv {
  databaseUrl: string;
  redisUrl: string;
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
    queuePrefix: env.QUEUE_PREFIX ?? 'studioflow',
    storageDir: resolve(env.STORAGE_DIR ?? resolve(repoRoot, '.storage')),
  };
}
