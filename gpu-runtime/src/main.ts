import pino from 'pino';
import { startWorkerProcess } from '@studioflow/runtime/worker';
import { openArtifactStore } from '@studioflow/runtime/artifacts';
import { createProductCatalog } from '@studioflow/nodes';
import { serviceEnv } from '@studioflow/runtime/config';
import { DEFAULT_BUDGET_MB, GpuRuntime } from './gpu-runtime';
import { configuredModelIds } from './backends';
import { slotDevices } from './slots';

/**
 * The GPU worker host: one slot per visible GPU (one CPU slot without GPUs), one job per slot, each
 * slot with a warm model pool. It preloads the configured models, then serves the `gpu` queue and
 * the per-model queues of those models.
 */
async function main(): Promise<void> {
  const env = serviceEnv();
  const logger = pino({ name: 'studioflow-gpu-runtime', level: process.env.LOG_LEVEL ?? 'info' });
  const log = {
    info: (msg: string, extra?: Record<string, unknown>) => logger.info(extra ?? {}, msg),
    warn: (msg: string, extra?: Record<string, unknown>) => logger.warn(extra ?? {}, msg),
    error: (msg: string, extra?: Record<string, unknown>) => logger.error(extra ?? {}, msg),
  };
  const models = process.env.STUDIOFLOW_GPU_MODELS?.split(',').map((s) => s.trim()).filter(Boolean) ?? configuredModelIds();
  const budgetMb = Number(process.env.STUDIOFLOW_GPU_MODEL_BUDGET_MB ?? DEFAULT_BUDGET_MB);
  if (!(budgetMb > 0)) throw new Error('STUDIOFLOW_GPU_MODEL_BUDGET_MB must be a positive number of MiB');
  const gpu = new GpuRuntime({ devices: slotDevices(), budgetBytes: budgetMb * 2 ** 20, models, log });
  await gpu.preload();
  log.info('models preloaded', { slots: gpu.slots.status() });
  // Sessions end with the process: startWorkerProcess stops on SIGTERM once active jobs finish.
  await startWorkerProcess({
    name: 'studioflow-gpu-runtime',
    catalog: createProductCatalog(),
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    prefix: env.queuePrefix,
    artifacts: openArtifactStore(env),
    ...gpu.workerOptions(),
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
