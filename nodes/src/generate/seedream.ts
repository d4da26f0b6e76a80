import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import type { Prediction } from 'replicate';
import { defineNode, PermanentNodeError, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import { storeImage } from '../image/image-artifacts';
import { decodeToRaw, dropOpaqueAlpha } from '../image/raw-image';
import {
  downloadOutput,
  REPLICATE_CONFIG_HINT,
  replicateConfig,
  ReplicateProvider,
  ReplicateTransientError,
  type ReplicateConfig,
} from '../providers/replicate';
import { RedisPredictionNotices } from '../providers/prediction-notices';
import { promptOf } from './prompt-text';
import { ASPECT_RATIOS, modelInput, OUTPUT_SIZES, replicateModel, TIER_MODELS, type ReplicateModelSpec } from './replicate-models';
import { TIERS, type Tier } from './scene-templates';

const TIMEOUT_MS = 300_000;
/** The longest side of the reference image we send: enough for the model to see the product. */
const REFERENCE_MAX_SIDE = 1024;
/** A larger reference goes through Replicate's files API instead of a data URL. */
const DATA_URL_MAX_BYTES = 256 * 1024;
/** A generated image beyond this is not one we asked for. */
const MAX_OUTPUT_BYTES = 40 * 1024 * 1024;

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
  timeoutMs: TIMEOUT_MS,
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
    const model = replicateModel(TIER_MODELS[tier]);

    const provider = providerFor(config);
    ctx.progress(0.05, 'preparing the reference image');
    const reference = model.input.reference ? await referenceUrl(ctx, provider, inputs.cutout) : undefined;
    // A model that makes one image per prediction gets one prediction per variant.
    const perPrediction = model.input.maxImages ? params.images : 1;
    const predictions = model.input.maxImages ? 1 : params.images;
    ctx.progress(0.1, `running ${model.title}`);
    // One prediction failing ends the job: its siblings are cancelled rather than paid for, and the
    // job ends once they are (the first failure is the one reported).
    const giveUp = new AbortController();
    const signal = AbortSignal.any([ctx.signal, giveUp.signal]);
    const settled = await Promise.allSettled(
      Array.from({ length: predictions }, (_, i) => {
        const input = modelInput(model, {
          positive: prompt.positive,
          negative: prompt.negative,
          reference,
          aspectRatio: params.aspectRatio,
          size: params.size,
          images: perPrediction,
          seed: params.seed >= 0 ? params.seed + i : -1,
        });
        return generate(ctx, provider, model, input, signal, config.webhook?.url).catch((err: unknown) => {
          if (!giveUp.signal.aborted) giveUp.abort(err);
          throw err;
        });
      }),
    );
    if (giveUp.signal.aborted) throw giveUp.signal.reason;
    const finished = settled.map((r) => (r as PromiseFulfilledResult<Prediction>).value);
    // Replicate charges per image it made, whatever happens to them afterwards.
    for (const prediction of finished) {
      const images = outputUrls(prediction).length;
      ctx.cost({
        kind: 'cloud',
        usd: model.usdPerImage * images,
        model: model.replicate,
        detail: `prediction ${prediction.id}: ${images} image${images === 1 ? '' : 's'} × $${model.usdPerImage}`,
      });
    }

    ctx.progress(0.8, 'downloading the images');
    const candidates: ArtifactRef[] = [];
    for (const prediction of finished) {
      const urls = outputUrls(prediction);
      for (const [i, url] of urls.entries()) {
        const { bytes } = await downloadOutput(url, globalThis.fetch, { maxBytes: MAX_OUTPUT_BYTES, signal: ctx.signal });
        const img = dropOpaqueAlpha(await decodeToRaw(bytes, `generated image ${i + 1} of prediction ${prediction.id}`));
        candidates.push(
          await storeImage(ctx, img, 'photo', {
            provider: 'replicate',
            model: model.id,
            replicateModel: model.replicate,
            tier,
            predictionId: prediction.id,
            predictTime: prediction.metrics?.predict_time,
            costUsd: model.usdPerImage,
            digitalSourceType: 'trainedAlgorithmicMedia',
          }),
        );
      }
    }
    ctx.log.info('seedream: generated', {
      model: model.id,
      predictions: finished.map((p) => ({ id: p.id, predictTime: p.metrics?.predict_time })),
      images: candidates.length,
      costUsd: Number((model.usdPerImage * candidates.length).toFixed(4)),
    });
    return { image: candidates[0], candidates };
  },
});

/** One prediction to its end; a failed one is permanent with Replicate's own words. */
async function generate(
  ctx: NodeContext,
  provider: ReplicateProvider,
  model: ReplicateModelSpec,
  input: Record<string, unknown>,
  signal: AbortSignal,
  webhookUrl: string | undefined,
): Promise<Prediction> {
  const prediction = await provider.predict({
    model: model.replicate,
    input,
    cancelAfterMs: TIMEOUT_MS,
    ...(webhookUrl ? { webhook: webhookUrl } : {}),
    signal,
    onStatus: (p) => ctx.progress(p.status === 'processing' ? 0.4 : 0.15, `${model.title}: ${p.status}`),
  });
  const what = `${model.replicate} prediction ${prediction.id}`;
  switch (prediction.status) {
    case 'succeeded':
      if (!outputUrls(prediction).length) throw new PermanentNodeError(`${what} succeeded without an output image`);
      return prediction;
    case 'failed':
      throw new PermanentNodeError(`${what} failed: ${errorText(prediction.error)}`);
    case 'aborted':
      // Replicate gave up before it started (the Cancel-After deadline passed in its queue): nothing was charged.
      throw new ReplicateTransientError(`${what} was aborted by Replicate before it started (its deadline passed while queued)`);
    default:
      throw new ReplicateTransientError(`${what} was canceled`);
  }
}

function outputUrls(prediction: Prediction): string[] {
  const output: unknown = prediction.output;
  const list = Array.isArray(output) ? output : output == null ? [] : [output];
  return list.filter((u): u is string => typeof u === 'string' && u.length > 0);
}

function errorText(error: unknown): string {
  if (typeof error === 'string' && error) return error;
  return error == null ? 'no reason given' : JSON.stringify(error);
}

/**
 * The cut-out as a model input, its longest side at most REFERENCE_MAX_SIDE: a PNG data URL when
 * small, else uploaded through the files API (a large data URL slows every request that carries it).
 */
async function referenceUrl(ctx: NodeContext, provider: ReplicateProvider, cutout: ArtifactRef): Promise<string> {
  const png = await sharp(await ctx.artifacts.get(cutout))
    .resize({ width: REFERENCE_MAX_SIDE, height: REFERENCE_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 6 })
    .toBuffer();
  if (png.length <= DATA_URL_MAX_BYTES) return `data:image/png;base64,${png.toString('base64')}`;
  return provider.upload(png, 'reference.png', 'image/png', ctx.signal);
}

/** One provider per configuration in a process, so its create budget is shared by every job. */
const providers = new Map<string, ReplicateProvider>();
function providerFor(config: ReplicateConfig): ReplicateProvider {
  const { webhook } = config;
  const key = `${config.baseUrl}\n${config.token}\n${webhook ? `${webhook.redisUrl}\n${webhook.queuePrefix}` : ''}`;
  let provider = providers.get(key);
  if (!provider) {
    // One Redis subscriber per process for every waiting prediction; polling carries on without it.
    const notices = webhook ? new RedisPredictionNotices(webhook.redisUrl, webhook.queuePrefix) : undefined;
    provider = new ReplicateProvider({ auth: config.token, baseUrl: config.baseUrl, ...(notices ? { notices } : {}) });
    providers.set(key, provider);
  }
  return provider;
}
