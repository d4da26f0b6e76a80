import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, useModel, type NodePlacement } from '@studioflow/runtime/contract';
import { clipModelFingerprint, resolveClipModel } from '../models/clip-models';
import { KNOWN_CLIP_MODELS, modelChoices } from '../models/model-choices';
import { loadImage } from '../image/image-artifacts';
import { clipSimilarityScore, cosine, embedImage, embedText, type ClipModel } from './clip-encoders';

export const clipScoreNode = defineNode({
  type: 'clip-score',
  version: 1,
  title: 'CLIP score',
  category: 'quality',
  description:
    'How well each candidate matches the prompt: CLIP image and text embeddings (ONNX encoders on the GPU runtime), cosine similarity, '
    + 'mapped to 0–1. Feeds best-select, or a retry gate with the best candidate\'s score.',
  resource: 'gpu',
  inputs: [
    { name: 'candidates', type: 'candidates', label: 'Candidates', description: 'Images to score (a single image is a list of one)' },
    { name: 'prompt', type: 'prompt', label: 'Prompt', description: 'Its positive text is what the images are compared with' },
  ],
  outputs: [{ name: 'score', type: 'score', label: 'Score', description: '{ score (the best candidate\'s), best, perCandidate: [{ hash, similarity, logit, score }] }' }],
  params: Type.Object({
    model: Type.String({
      default: 'auto',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: 'CLIP model id from STUDIOFLOW_CLIP_MODELS; auto: STUDIOFLOW_DEFAULT_CLIP, else the first configured',
      // The editor offers the usual ids as choices, each with its licence; other configured ids stay allowed.
      ...modelChoices(KNOWN_CLIP_MODELS, { auto: true }),
    }),
    zeroAt: Type.Number({ minimum: -1, maximum: 1, default: 0, description: 'cosine similarity that scores 0 (and below)' }),
    oneAt: Type.Number({ minimum: -1, maximum: 1, default: 0.4, description: 'cosine similarity that scores 1 (and above); the default pair is CLIPScore\'s 2.5·cos' }),
  }),
  cacheable: true,
  placement: placeClipScore,
  async run(ctx, inputs, params) {
    if (!(params.oneAt > params.zeroAt)) throw new PermanentNodeError(`clip-score: oneAt (${params.oneAt}) must be above zeroAt (${params.zeroAt})`);
    if (!ctx.model) throw new PermanentNodeError('clip-score was not placed for a CLIP model (compile the plan with the catalog\'s placement)');
    const text = inputs.prompt.positive;
    if (typeof text !== 'string' || !text.trim()) throw new PermanentNodeError('clip-score: the prompt has no positive text');
    // Each candidate is decoded once, one at a time: generators return a handful of large images.
    const result = await useModel(ctx.models, ctx.model, async (model: ClipModel) => {
      ctx.progress(0.1, 'encoding the prompt');
      const prompt = await embedText(model, text);
      const perCandidate = [];
      for (const [i, ref] of inputs.candidates.entries()) {
        ctx.signal.throwIfAborted();
        ctx.progress(0.2 + (0.8 * i) / inputs.candidates.length, `encoding candidate ${i + 1} of ${inputs.candidates.length}`);
        const image = await embedImage(model, await loadImage(ctx, ref, `candidate ${i + 1}`));
        const similarity = cosine(image, prompt.embedding);
        perCandidate.push({
          hash: ref.hash,
          similarity: round(similarity),
          logit: round(model.spec.logitScale * similarity),
          score: round(clipSimilarityScore(similarity, params.zeroAt, params.oneAt)),
        });
      }
      return { perCandidate, prompt, provider: model.provider, device: model.device, modelId: model.id };
    });
    // Scores cap at 1: equal scores go to the higher similarity, then to the earlier candidate.
    const best = result.perCandidate.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.similarity > a.similarity) ? b : a));
    return {
      score: {
        score: best.score,
        best: best.hash,
        perCandidate: result.perCandidate,
        model: result.modelId,
        provider: result.provider,
        device: result.device,
        ramp: { zeroAt: params.zeroAt, oneAt: params.oneAt },
        promptTokens: result.prompt.tokens,
        // CLIP reads 77 tokens: a composed prompt's later sentences do not count.
        promptTruncated: result.prompt.truncated,
      },
    };
  },
});

/**
 * clip-score always runs on the GPU runtime, on the queue of its model. Without a CLIP model
 * configured the plan is refused when compiled (422 from the API), before anything is charged.
 */
function placeClipScore(params: { model?: string }): NodePlacement {
  const model = resolveClipModel(params.model ?? 'auto');
  return { resource: 'gpu', model: { id: model.id, fingerprint: clipModelFingerprint(model) } };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
