import { startWorkerProcess } from '@studioflow/runtime/bullmq';
import { createProductCatalog } from '@studioflow/nodes';
import { gpuSlots } from './slots';

/**
 * The GPU worker host: serves the `gpu` queue with one job per GPU slot, so a model never shares
 * a device with another. On a machine without GPUs it still runs, using one CPU slot.
 */
async function main(): Promise<void> {
  const slots = gpuSlots();
  await startWorkerProcess({
    name: 'studioflow-gpu-runtime',
    catalog: createProductCatalog(),
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/studioflow',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: process.env.QUEUE_PREFIX ?? 'studioflow',
    storageDir: process.env.STORAGE_DIR ?? `${__dirname}/../../../.storage`,
    resources: ['gpu'],
    concurrency: { gpu: slots.length },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
