import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError } from '@studioflow/runtime/contract';
import {
  routeOrder,
  routeScene,
  SCENE_PROVIDER_IDS,
  sceneProviderBreakers,
  type BreakerStatus,
  type ProviderPreference,
  type SceneProvider,
} from '../providers/scene-router';
import { cloudSceneProvider } from './cloud-scene-provider';
import { localSceneProvider, type LocalServerStatus } from './local-scene-provider';
import { promptOf } from './prompt-text';
import { ASPECT_RATIOS, OUTPUT_SIZES } from './replicate-models';
import { TIERS, type Tier } from './scene-templates';

/** The providers generate-scene routes between, in no particular order (routeOrder decides). */
export const SCENE_PROVIDERS: readonly SceneProvider[] = [cloudSceneProvider, localSceneProvider];

/**
 * Why no provider the params allow is configured, with how to configure each; undefined when one is.
 * The template service shows this as "needs a provider".
 */
export function missingProviderMessage(preference: ProviderPreference, providers: readonly SceneProvider[] = SCENE_PROVIDERS): string | undefined {
  const allowed = SCENE_PROVIDER_IDS.filter((id) => preference === 'auto' || preference === id);
  if (routeOrder(providers, preference, 'premium').length > 0) return undefined;
  const hints = allowed.map((id) => `${id}: ${providers.find((p) => p.id === id)?.hint ?? 'not available in this build'}`);
  return `generate-scene needs a provider (${preference === 'auto' ? 'cloud or local' : preference}): ${hints.join('; ')}`;
}

export const generateSceneNode = defineNode({
  type: 'generate-scene',
  version: 1,
  title: 'Generate scene (cloud or local)',
  category: 'generate',
  description:
    'Generates the shot around the product on the cloud (Seedream on Replicate) or on local GPU servers (FLUX Fill on Cog): '
    + 'premium tries the cloud first, standard the local servers; a busy local fleet spills over to the cloud, and a provider '
    + 'that fails or whose breaker is open hands the request to the other within the same attempt. Each image records which '
    + 'provider served and the failover chain.',
  // Waiting on either provider holds no CPU slot.
  resource: 'cloud',
  inputs: [
    { name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'the product' },
    { name: 'prompt', type: 'prompt', label: 'Prompt', description: 'from compose-prompt: positive and negative text and the tier' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'the first generated image' },
    { name: 'candidates', type: 'candidates', label: 'Candidates', description: 'every generated image' },
    { name: 'mask', type: 'mask', label: 'Placement', description: "where the product's own pixels are (when the provider inpainted)" },
  ],
  params: Type.Object({
    provider: Type.Union([Type.Literal('auto'), ...SCENE_PROVIDER_IDS.map((p) => Type.Literal(p))], {
      default: 'auto',
      description: 'auto routes by tier, load and health with failover; cloud or local uses that provider only',
    }),
    tier: Type.Union([Type.Literal('prompt'), ...TIERS.map((t) => Type.Literal<Tier>(t))], {
      default: 'prompt',
      description: "The prompt's tier, or standard / premium whatever the prompt says (premium prefers the cloud)",
    }),
    aspectRatio: Type.Union(ASPECT_RATIOS.map((a) => Type.Literal(a)), { default: '1:1', description: 'Aspect ratio of the generated image' }),
    size: Type.Union(OUTPUT_SIZES.map((s) => Type.Literal(s)), { default: '2K', description: 'Output size class, for models that take one' }),
    images: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'How many variants to generate (each is paid for)' }),
    seed: Type.Integer({ minimum: -1, maximum: 2_147_483_647, default: -1, description: 'Seed for models that take one; -1 lets the model choose' }),
  }),
  // Every generation is new and paid for: a cached result would hand back the old picture.
  cacheable: false,
  // Room for one provider's timeout (STUDIOFLOW_PROVIDER_TIMEOUT_MS, 150 s) and a failover to the other.
  timeoutMs: 360_000,
  placement(params) {
    // Refused when the plan is compiled: nothing is charged for a run that could never generate.
    const missing = missingProviderMessage(params.provider);
    if (missing) throw new Error(missing);
    return { resource: 'cloud' };
  },
  async run(ctx, inputs, params) {
    const missing = missingProviderMessage(params.provider);
    if (missing) throw new PermanentNodeError(missing);
    const prompt = promptOf(inputs.prompt, 'generate-scene');
    const tier: Tier = params.tier === 'prompt' ? prompt.tier : params.tier;
    const { provider, ...choice } = params;
    const routed = await routeScene(ctx, SCENE_PROVIDERS, sceneProviderBreakers(), provider, { ...choice, cutout: inputs.cutout, prompt, tier });
    return { image: routed.images[0], candidates: routed.images, ...(routed.placement ? { mask: routed.placement } : {}) };
  },
});

/** What this process knows of the scene providers: each breaker, and the local servers' in-flight counts. */
export interface SceneProviderReport {
  breakers: BreakerStatus[];
  local: LocalServerStatus[];
}

export function sceneProviderReport(): SceneProviderReport {
  return { breakers: sceneProviderBreakers().status(), local: localSceneProvider.status() };
}

/** Hears every change of a breaker or an in-flight count in this process (the worker publishes them to Redis). */
export function onSceneProviderChange(listener: () => void): () => void {
  const breakers = sceneProviderBreakers().onChange(listener);
  const local = localSceneProvider.onChange(listener);
  return () => {
    breakers.dispose();
    local();
  };
}
