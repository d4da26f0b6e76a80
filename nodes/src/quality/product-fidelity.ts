import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, type NodePlacement } from '@studioflow/runtime/contract';
import { fidelityParts, type FidelityParts } from './fidelity-metrics';
import { locateCandidate, ProductNotFoundError } from './locate-candidate';
import { alignProducts } from './product-alignment';
import { loadImage, loadMask } from '../image/image-artifacts';
import { readPlacement } from '../image/placement';
import { modelFingerprint, resolveModel } from '../models/model-registry';
import { findProduct } from '../segment/product-mask';

/**
 * Each part maps linearly from a clearly-changed value (score 0) to a faithful one (score 1).
 * Ends were set on synthetic products: the same product re-composited on other backdrops scores
 * ~1 on every part; a 20° hue shift, a changed label, a 10% stretch or shear, or objects painted
 * over the product drive at least one part to 0 (see product-fidelity.test.ts).
 */
export const FIDELITY_RAMPS: Record<keyof FidelityParts, readonly [bad: number, good: number]> = {
  ssim: [0.75, 0.92],
  ssimWorstTile: [0.55, 0.85],
  deltaEMean: [5, 2],
  deltaEP95: [12, 6],
  edgeIoU: [0.5, 0.8],
  maskIoU: [0.88, 0.95],
};

export const productFidelityNode = defineNode({
  type: 'product-fidelity',
  version: 1,
  title: 'Product fidelity',
  category: 'quality',
  description:
    'Did the product change? Finds the product in the candidate (the wired mask, the placement the generator recorded, else a '
    + 'segmentation model; the built-in matte only on a plain backdrop), aligns it to the original cut-out and compares shape (mask IoU), '
    + 'colour (CIEDE2000 mean and 95th percentile), detail (masked SSIM, worst tile) and interior edges. The score is the weakest part.',
  resource: 'cpu',
  inputs: [
    { name: 'original', type: 'cutout', label: 'Original cut-out' },
    { name: 'candidate', type: 'image', label: 'Candidate' },
    { name: 'candidateMask', type: 'mask', label: 'Candidate mask', optional: true, description: "Where the product is in the candidate (a generator's mask output); without it, the candidate's meta.placement, else a segmentation model, else the built-in matte on a plain backdrop" },
  ],
  outputs: [{ name: 'score', type: 'score', label: 'Score', description: '{ score, pass, threshold, parts, failing }' }],
  params: Type.Object({
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'pass when the score is at least this' }),
    model: Type.String({
      default: 'auto',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: 'Segmentation model that finds the product when the candidate has neither mask nor placement: auto (the configured default, as segment), a preset id, or none (stay on CPU workers: the mask or placement must be wired)',
    }),
  }),
  cacheable: true,
  placement: placeFidelity,
  async run(ctx, inputs, params) {
    const { original, candidate, candidateMask } = inputs;
    const [orig, cand, given] = await Promise.all([
      loadImage(ctx, original, 'original cut-out'),
      loadImage(ctx, candidate, 'candidate image'),
      candidateMask ? loadMask(ctx, candidateMask, 'candidate mask') : Promise.resolve(null),
    ]);
    ctx.progress(0.1, 'finding the product');
    const p0 = await findProduct(orig, null, 'original cut-out');
    const { threshold } = params;
    const p1 = await locateCandidate(ctx, cand, given, readPlacement(candidate), orig, p0.alpha).catch((err: unknown) => {
      if (err instanceof ProductNotFoundError) return err;
      throw err;
    });
    // Not finding the product is this candidate's failure, not the node's: a retry gate can try again.
    if (p1 instanceof ProductNotFoundError) {
      ctx.log.warn('product-fidelity: the product was not found in the candidate', { candidate: candidate.hash, reason: p1.message });
      return { score: { score: 0, candidate: candidate.hash, pass: false, threshold, located: false, failing: ['located'], reason: p1.message } };
    }
    ctx.signal.throwIfAborted();
    ctx.progress(0.5, 'comparing');
    const pair = await alignProducts(orig, p0.alpha, cand, p1.alpha, p1.known);
    if (!pair) throw new PermanentNodeError('no product found in the original or the candidate (the mask is empty)');
    const { parts, worstTile } = fidelityParts(pair);
    const sub = Object.fromEntries(Object.entries(FIDELITY_RAMPS).map(([k, [bad, good]]) => [k, ramp(parts[k as keyof FidelityParts], bad, good)]));
    const score = Math.min(...Object.values(sub));
    return {
      score: {
        score: round(score),
        candidate: candidate.hash,
        pass: score >= threshold,
        threshold,
        parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(v)])),
        partScores: Object.fromEntries(Object.entries(sub).map(([k, v]) => [k, round(v)])),
        failing: Object.entries(sub).filter(([, v]) => v < threshold).map(([k]) => k),
        candidateMaskSource: p1.source,
        ...(p1.backdrop ? { backdrop: Object.fromEntries(Object.entries(p1.backdrop).map(([k, v]) => [k, round(v)])) } : {}),
        ...(p1.match ? { match: { ncc: round(p1.match.ncc) } } : {}),
        alignment: { from: p1.source === 'match' ? 'match' : pair.from, scale: round(pair.scale), originalBox: pair.box0, candidateBox: pair.box1 },
        // Where detail differs most, in the original cut-out's pixels (for a reviewer).
        worstTile: worstTile && {
          x: Math.round(pair.origin[0] + worstTile.x / pair.gridScale),
          y: Math.round(pair.origin[1] + worstTile.y / pair.gridScale),
          width: Math.round(worstTile.width / pair.gridScale),
          height: Math.round(worstTile.height / pair.gridScale),
        },
      },
    };
  },
});

/**
 * Like segment: with a segmentation model configured (and `model` not none) the node runs where the
 * model pool is (the GPU runtime), since a candidate without mask or placement needs the model.
 */
function placeFidelity(params: { model?: string }): NodePlacement {
  if (params.model === 'none') return { resource: 'cpu' };
  const model = resolveModel(params.model ?? 'auto');
  if (!model) return { resource: 'cpu' };
  return { resource: 'gpu', model: { id: model.preset.id, fingerprint: modelFingerprint(model) } };
}

function ramp(v: number, bad: number, good: number): number {
  const t = (v - bad) / (good - bad);
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
