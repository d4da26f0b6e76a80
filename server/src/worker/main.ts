import { startWorkerProcess } from '@studioflow/runtime/worker';
import { openArtifactStore } from '@studioflow/runtime/artifacts';
import sharp from 'sharp';
import { cogModels, CogWebhookReceiver, createProductCatalog, shareReplicateCreates, warmUpProductNodes } from '@studioflow/nodes';
import { createRedis } from '@studioflow/runtime/bullmq';
import { loadConfig } from '../config/config';
import { publishProviderState } from '../providers/provider-state';

/** The CPU + cloud worker process. Scale out by starting more of them. */
async function main(): Promise<void> {
  const config = loadConfig();
  // One libvips thread per job and no operation cache: jobs run in parallel, memory stays flat.
  sharp.concurrency(1);
  sharp.cache(false);
  // An optimisation only: a worker that cannot warm up still serves its jobs, only slower at first.
  await warmUpProductNodes().catch((err: Error) => console.warn(`warm-up failed, the first jobs will be slower: ${err.message}`));
  // generate-scene's local provider waits for Cog's webhooks on this receiver (where STUDIOFLOW_COG_WEBHOOK_*
  // say): started now, so a port that cannot be taken stops the worker at start, not a job later.
  if (cogModels().size) await CogWebhookReceiver.shared();
  // Replicate limits prediction creates per account: every worker process counts them in one Redis budget.
  shareReplicateCreates(config.redisUrl, config.queuePrefix);
  // Breaker states and in-flight counts for GET /api/providers and the metrics.
  const stateRedis = createRedis({ url: config.redisUrl, prefix: config.queuePrefix });
  stateRedis.on('error', (err: Error) => console.warn(`Redis connection error (provider state): ${err.message}`));
  const stopPublishing = publishProviderState(stateRedis, config.queuePrefix);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stopPublishing());
  await startWorkerProcess({
    name: 'studioflow-worker',
    catalog: createProductCatalog(),
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    artifacts: openArtifactStore(config),
    resources: (process.env.WORKER_RESOURCES ?? 'cpu,cloud').split(',') as Array<'cpu' | 'cloud'>,
    concurrency: config.workerConcurrency,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
