import sharp from 'sharp';
import type { Prediction } from 'replicate';
import { PermanentNodeError, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import { storeImage } from '../image/image-artifacts';
import { decodeToRaw, dropOpaqueAlpha } from '../image/raw-image';
import { downloadOutput, ReplicateProvider, ReplicateTransientError, type ReplicateConfig } from '../providers/replicate';
import { RedisPredictionNotices } from '../providers/prediction-notices';
import type { promptOf } from './prompt-text';
import { modelInput, replicateModel, TIER_MODELS, type AspectRatio, type OutputSize, type ReplicateModelSpec } from './replicate-models';
import type { Tier } from './scene-templates';
import { createBudgetFor } from '../providers/create-budget';

/**
 * Generation on Replicate, shared by the `seedream` node and the cloud scene provider: the tier's
 * model, the cut-out as reference, every variant downloaded at once and stored as an intermediate.
 */

/** Replicate cancels a prediction we no longer wait for after this long (`Cancel-After`). */
export const REPLICATE_CANCEL_AFTER_MS = 300_000;
/** The longest side of the reference image we send: enough for the model to see the product. */
const REFERENCE_MAX_SIDE = 1024;
/** A larger reference goes through Replicate's files API instead of a data URL. */
const DATA_URL_MAX_BYTES = 256 * 1024;
/** A generated image beyond this is not one we asked for. */
const MAX_OUTPUT_BYTES = 40 * 1024 * 1024;

/** A prompt as generation uses it (promptOf). */
export type ScenePrompt = ReturnType<typeof promptOf>;

export interface ReplicateGeneration {
  cutout: ArtifactRef;
  prompt: ScenePrompt;
  tier: Tier;
  aspectRatio: AspectRatio;
  size: OutputSize;
  images: number;
  /** -1: the model's own. */
  seed: number;
  /** Facts added to every stored image's meta (e.g. which provider served, the failover chain). */
  meta?: Record<string, unknown>;
}

/** Runs the tier's model and stores every image; `signal` ends the wait and cancels the predictions. */
export async function generateOnReplicate(ctx: NodeContext, config: ReplicateConfig, g: ReplicateGeneration, signal: AbortSignal): Promise<ArtifactRef[]> {
  const model = replicateModel(TIER_MODELS[g.tier]);
  const provider = replicateProviderFor(config);
  ctx.progress(0.05, 'preparing the reference image');
  const reference = model.input.reference ? await referenceUrl(ctx, provider, g.cutout, signal) : undefined;
  // A model that makes one image per prediction gets one prediction per variant.
  const perPrediction = model.input.maxImages ? g.images : 1;
  const predictions = model.input.maxImages ? 1 : g.images;
  ctx.progress(0.1, `running ${model.title}`);
  // One prediction failing ends the job: its siblings are cancelled rather than paid for, and the
  // job ends once they are (the first failure is the one reported).
  const giveUp = new AbortController();
  const predictionSignal = AbortSignal.any([signal, giveUp.signal]);
  const settled = await Promise.allSettled(
    Array.from({ length: predictions }, (_, i) => {
      const input = modelInput(model, {
        positive: g.prompt.positive,
        negative: g.prompt.negative,
        reference,
        aspectRatio: g.aspectRatio,
        size: g.size,
        images: perPrediction,
        seed: g.seed >= 0 ? g.seed + i : -1,
      });
      return predictToEnd(ctx, provider, model, input, predictionSignal, config.webhook?.url).catch((err: unknown) => {
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
    for (const [i, url] of outputUrls(prediction).entries()) {
      const { bytes } = await downloadOutput(url, globalThis.fetch, { maxBytes: MAX_OUTPUT_BYTES, signal });
      const img = dropOpaqueAlpha(await decodeToRaw(bytes, `generated image ${i + 1} of prediction ${prediction.id}`));
      candidates.push(
        await storeImage(ctx, img, 'photo', {
          provider: 'replicate',
          model: model.id,
          replicateModel: model.replicate,
          tier: g.tier,
          predictionId: prediction.id,
          predictTime: prediction.metrics?.predict_time,
          costUsd: model.usdPerImage,
          digitalSourceType: 'trainedAlgorithmicMedia',
          ...g.meta,
        }),
      );
    }
  }
  ctx.log.info('replicate: generated', {
    model: model.id,
    predictions: finished.map((p) => ({ id: p.id, predictTime: p.metrics?.predict_time })),
    images: candidates.length,
    costUsd: Number((model.usdPerImage * candidates.length).toFixed(4)),
  });
  return candidates;
}

/** One prediction to its end; a failed one is permanent with Replicate's own words. */
async function predictToEnd(
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
    cancelAfterMs: REPLICATE_CANCEL_AFTER_MS,
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
async function referenceUrl(ctx: NodeContext, provider: ReplicateProvider, cutout: ArtifactRef, signal: AbortSignal): Promise<string> {
  const png = await sharp(await ctx.artifacts.get(cutout))
    .resize({ width: REFERENCE_MAX_SIDE, height: REFERENCE_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .png({ compressionLevel: 6 })
    .toBuffer();
  if (png.length <= DATA_URL_MAX_BYTES) return `data:image/png;base64,${png.toString('base64')}`;
  return provider.upload(png, 'reference.png', 'image/png', signal);
}

/** Replicate allows this many prediction creates a minute per account. */
const REPLICATE_CREATES_PER_MINUTE = 600;

/** One provider per configuration in a process, so its create budget is shared by every job (and, in workers, by every worker). */
const providers = new Map<string, ReplicateProvider>();
function replicateProviderFor(config: ReplicateConfig): ReplicateProvider {
  const { webhook } = config;
  const key = `${config.baseUrl}\n${config.token}\n${webhook ? `${webhook.redisUrl}\n${webhook.queuePrefix}` : ''}`;
  let provider = providers.get(key);
  if (!provider) {
    // One Redis subscriber per process for every waiting prediction; polling carries on without it.
    const notices = webhook ? new RedisPredictionNotices(webhook.redisUrl, webhook.queuePrefix) : undefined;
    provider = new ReplicateProvider({ auth: config.token, baseUrl: config.baseUrl, createBudget: createBudgetFor(REPLICATE_CREATES_PER_MINUTE), ...(notices ? { notices } : {}) });
    providers.set(key, provider);
  }
  return provider;
}
