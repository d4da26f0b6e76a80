/**
 * Child process for the generation section: a CPU + cloud worker set up as server/src/worker/main.ts
 * sets one up (sharp on one thread, no libvips cache, warmUpProductNodes, startWorkerProcess), so
 * its peak RSS is a worker's. Configured by env (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, STORAGE_DIR,
 * CPU_CONCURRENCY, CLOUD_CONCURRENCY, REPLICATE_*); prints `WORKER_READY` once it takes jobs.
 *
 *   node bench/dist/src/generation-worker.js
 */
import sharp from 'sharp';
import { createProductCatalog, warmUpProductNodes } from '@studioflow/nodes';
import { startWorkerProcess } from '@studioflow/runtime/worker';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';

async function main(): Promise<void> {
  sharp.concurrency(1);
  sharp.cache(false);
  await warmUpProductNodes();
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`generation worker: ${name} is not set`);
    return v;
  };
  await startWorkerProcess({
    name: 'bench-generation-worker',
    catalog: createProductCatalog(),
    databaseUrl: env('DATABASE_URL'),
    redisUrl: env('REDIS_URL'),
    prefix: env('QUEUE_PREFIX'),
    artifacts: new LocalArtifactStore(env('STORAGE_DIR')),
    resources: ['cpu', 'cloud'],
    concurrency: { cpu: Number(env('CPU_CONCURRENCY')), cloud: Number(env('CLOUD_CONCURRENCY')) },
  });
  process.stdout.write('WORKER_READY\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
