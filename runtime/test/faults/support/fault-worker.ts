import { LocalArtifactStore } from '../../../src/artifacts';
import { startWorkerProcess } from '../../../src/worker';
import { faultCatalog } from './fault-nodes';

/** A real worker process for the fault suite (killed with SIGKILL by the tests). */
const env = process.env;
startWorkerProcess({
  name: 'fault-worker',
  catalog: faultCatalog(env.REDIS_URL!, env.QUEUE_PREFIX!),
  databaseUrl: env.DATABASE_URL!,
  redisUrl: env.REDIS_URL!,
  prefix: env.QUEUE_PREFIX!,
  artifacts: new LocalArtifactStore(env.STORAGE_DIR!),
  resources: ['cpu'],
  concurrency: { cpu: Number(env.CPU_CONCURRENCY ?? 20) },
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
