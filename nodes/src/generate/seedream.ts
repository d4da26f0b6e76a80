import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError } from '@studioflow/runtime/contract';
import { REPLICATE_CONFIG_HINT, replicateConfig } from '../providers/replicate';
import { promptOf } from './prompt-text';
import { generateOnReplicate, REPLICATE_CANCEL_AFTER_MS } from './replicate-generation';
import { ASPECT_RATIOS, OUTPUT_SIZES } from './replicate-models';
import { TIERS, type Tier } from './scene-templates';

export const seedreamNode = defineNode({
  type: 'seedream',
  version: 1,
  title: 'Generate scene (Replicate)',
  category: 'generate',
  description:
    'Generates the shot on Replicate from the composed prompt with the cut-out as reference: premium runs Seedream 4, '
    + 'standard a fast model. Outputs are downloaded at once and carry the prediction id, the model, its time and cost, '
    + 'and the IPTC source type trainedAlgorithmicMedia. Needs REPLICATE_API_TOKEN.',
  // Waiting on Replicate holds no CPU slot.
  resource: 'cloud',
  inputs: [
    { name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'the product, sent as the reference image' },
    { name: 'prompt', type: 'prompt', label: 'Prompt', description: 'from compose-prompt: positive and negative text and the tier' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'the first generated image' },
    { name: 'candidates', type: 'candidates', label: 'Candidates', description: 'every generated image' },
  ],
  params: Type.Object({
    tier: Type.Union([Type.Literal('prompt'), ...TIERS.map((t) => Type.Literal<Tier>(t))], {
      default: 'prompt',
      description: "Which model runs: the prompt's tier, or standard (fast) / premium (Seedream 4) whatever the prompt says",
    }),
    aspectRatio: Type.Union(ASPECT_RATIOS.map((a) => Type.Literal(a)), { default: '1:1', description: 'Aspect ratio of the generated image' }),
    size: Type.Union(OUTPUT_SIZES.map((s) => Type.Literal(s)), { default: '2K', description: 'Output size class, for models that take one' }),
    images: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'How many variants to generate (each is paid for)' }),
    seed: Type.Integer({ minimum: -1, maximum: 2_147_483_647, default: -1, description: 'Seed for models that take one; -1 lets the model choose' }),
  }),
  // Every generation is new and paid for: a cached result would hand back the old picture.
  cacheable: false,
  timeoutMs: REPLICATE_CANCEL_AFTER_MS,
  placement() {
    // Refused when the plan is compiled: nothing is charged for a run that could never generate.
    if (!replicateConfig()) throw new Error(`seedream needs Replicate: ${REPLICATE_CONFIG_HINT}`);
    return { resource: 'cloud' };
  },
  async run(ctx, inputs, params) {
    const config = replicateConfig();
    if (!config) throw new PermanentNodeError(`seedream needs Replicate: ${REPLICATE_CONFIG_HINT}`);
    const prompt = promptOf(inputs.prompt, 'seedream');
    const tier: Tier = params.tier === 'prompt' ? prompt.tier : params.tier;
    const candidates = await generateOnReplicate(ctx, config, { ...params, cutout: inputs.cutout, prompt, tier }, ctx.signal);
    return { image: candidates[0], candidates };
  },
});
