import { CogClient, cogModel, cogModels, cogServerFor, CogWebhookReceiver, COG_CONFIG_HINT, cogWebhookReceiverOptions, type CogModelConfig } from '@studioflow/nodes';
import type { LoadedModel, ModelBackend, ModelSource } from '../model-pool';

/**
 * Models served by Cog HTTP servers (FLUX Fill on our own GPUs), configured by STUDIOFLOW_COG_MODELS:
 * a slot's "session" is a client bound to its GPU's server (cuda:N → urls[N], the CPU slot → urls[0]).
 * Loading waits for the server's setup to finish; SETUP_FAILED is a permanent error naming the server.
 * The webhook receiver the clients share listens where STUDIOFLOW_COG_WEBHOOK_* say.
 */
export function cogBackend(env: NodeJS.ProcessEnv = process.env): ModelBackend {
  return {
    name: 'cog',
    resolve: (modelId): ModelSource<CogModelConfig> | null => {
      const model = cogModel(modelId, env);
      return model ? { id: model.id, bytes: model.bytes, spec: model } : null;
    },
    async load(source, device, log): Promise<LoadedModel<CogClient>> {
      const model = source.spec as CogModelConfig;
      const server = cogServerFor(model, device);
      const client = new CogClient({ baseUrl: server, receiver: await CogWebhookReceiver.shared(cogWebhookReceiverOptions(env)) });
      const health = await client.waitUntilReady({ timeoutMs: model.setupTimeoutS * 1000 });
      log.info('Cog server ready', { modelId: model.id, device, server, status: health.status });
      // The server owns its GPU memory; nothing to free here.
      return { session: client, provider: device === 'cpu' ? 'cpu' : 'cuda', release: () => undefined };
    },
    configuredIds: () => [...cogModels(env).keys()],
    configHint: COG_CONFIG_HINT,
  };
}
