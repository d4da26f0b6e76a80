import { startWorkerProcess } from '@studioflow/runtime/worker';
import { createProductCatalog } from '@studioflow/nodes';
import { serviceEnv } from '@studioflow/runtime/config';
import { gpuSlots } from './slots';

/**
 * The GPU worker host: serves the `gpu` queue with one job per GPU slot, so a model never shares
 * a device with another. On a machine without GPUs it still runs, using one CPU slot.
 */
async function main(): Promise<void> {
  const slots = gpuSlots();
  const env = serviceEnv();
  await startWorkerProcess({
    name: 'studioflow-gpu-runtime',
    catalog: createProductCatalog(),
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    prefix: env.queuePrefix,
    storageDir: env.storageDir,
    resources: ['gpu'],
    concurrency: { gpu: slots.length },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
