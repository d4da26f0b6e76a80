import { REPLICATE_CONFIG_HINT, replicateConfig } from '../providers/replicate';
import type { SceneProvider } from '../providers/scene-router';
import { generateOnReplicate } from './replicate-generation';

/** The cloud: the tier's Replicate model (premium Seedream 4), the same code the seedream node runs. */
export const cloudSceneProvider: SceneProvider = {
  id: 'cloud',
  hint: REPLICATE_CONFIG_HINT,
  configured: () => replicateConfig() !== undefined,
  async generate(ctx, request, signal) {
    const config = replicateConfig();
    // configured() was true when the route was made; an environment changed since is the operator's doing.
    if (!config) throw new Error(`the cloud provider lost its configuration: ${REPLICATE_CONFIG_HINT}`);
    return { images: await generateOnReplicate(ctx, config, request, signal) };
  },
};
