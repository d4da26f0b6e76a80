import { PermanentNodeError, useModel, type NodeContext } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from '../image/alpha-mask';
import { boundingBox } from '../image/mask-ops';
import { placedAlpha, uniformPlacement, type ProductPlacement } from '../image/placement';
import type { RawImage } from '../image/raw-image';
import { MODEL_CONFIG_HINT } from '../models/model-registry';
import { classicalMatte, NoProductError, type Matte } from '../segment/classical-segmenter';
import { onnxMatte, type SegmentationModel } from '../segment/onnx-matte';
import { findProduct } from '../segment/product-mask';
import { matchProduct } from './locate-by-match';
import type { KnownTransform } from './product-alignment';

/** How the candidate's product was located, most trusted first. */
export type CandidateMaskSource = 'mask-input' | 'placement' | 'alpha' | 'ml-matte' | 'classical' | 'match';

export interface LocatedCandidate {
  /** One byte per candidate pixel, 255 = product. */
  alpha: Uint8Array;
  source: CandidateMaskSource;
  /** The generator's placement as an alignment, when the candidate records one. */
  known?: KnownTransform;
  /** How plain the backdrop looked, when the classical matte was tried. */
  backdrop?: BackdropPlainness;
  /** How well the original matched, when it was found by matching. */
  match?: { ncc: number };
}

export interface BackdropPlainness {
  /** Share of the border that fits one smooth backdrop (a studio sweep: ~1; a wall over a table: ~0.55). */
  fitShare: number;
  /** 95th percentile Lab residual of the border around that backdrop. */
  noise: number;
  /** What stands out from the backdrop but is not the product, over the product's area. */
  strayShare: number;
}

/**
 * The classical matte is only trusted on a studio-like backdrop: one smooth surface along the whole
 * border, little texture, nothing else standing out. On a generated scene (a wall over a table, wood,
 * foliage) it would find a wrong product and give a confident wrong score; there the original is
 * looked for by matching instead.
 */
const PLAIN = { fitShare: 0.9, noise: 8, strayShare: 0.2 };

/**
 * The original is not in the candidate as far as matching can tell: the candidate fails the check
 * (a generator that lost the product gets retried), it is never scored as if it were found.
 */
export class ProductNotFoundError extends PermanentNodeError {
  constructor(message: string) {
    super(message);
    this.name = 'ProductNotFoundError';
  }
}

/** How plain the backdrop a classical matte separated the product from is. */
export function backdropPlainness(matte: Matte): BackdropPlainness {
  return { fitShare: matte.backdrop.inliers / matte.backdrop.samples, noise: matte.backdrop.noise, strayShare: matte.stats.strayShare };
}

/** Whether a classical matte can be trusted: a studio-like backdrop, not a scene. */
export function isPlainBackdrop(b: BackdropPlainness): boolean {
  return b.fitShare >= PLAIN.fitShare && b.noise <= PLAIN.noise && b.strayShare <= PLAIN.strayShare;
}

/**
 * Below this normalised cross-correlation the best match is not trusted to be the product: the
 * candidate fails rather than being scored on whatever was found.
 */
const MIN_MATCH_NCC = 0.6;

const WIRE_HINT = "wire the generator's mask output to candidateMask, have the generator record meta.placement on its image (nodes/src/image/placement.ts), "
  + `or configure a segmentation model (${MODEL_CONFIG_HINT})`;

/**
 * Where the product is in the candidate: the wired mask, else the generator's placement (the
 * original's alpha through it), else the image's own alpha, else the ML matte when the plan placed
 * the node for a model (ctx.model), else the classical matte on a plain backdrop, else (a scene) the
 * original found by matching, if it matches well enough. A placement or a match also gives the
 * alignment.
 */
export async function locateCandidate(
  ctx: NodeContext,
  cand: RawImage,
  given: { plane: Uint8Array; width: number; height: number } | null,
  placement: ProductPlacement | null,
  orig: RawImage,
  origAlpha: Uint8Array,
): Promise<LocatedCandidate> {
  const known = placement ? knownTransform(placement, orig, origAlpha) : undefined;
  if (given) return { alpha: (await findProduct(cand, given, 'candidate image')).alpha, source: 'mask-input', known };
  if (placement) return { alpha: await placedAlpha(origAlpha, orig.width, orig.height, placement, cand.width, cand.height), source: 'placement', known };
  const own = meaningfulAlpha(cand);
  if (own) return { alpha: own, source: 'alpha' };
  if (ctx.model) {
    const modelId = ctx.model;
    ctx.progress(0.2, `running ${modelId}`);
    const matte = await useModel(ctx.models, modelId, (model: SegmentationModel) => onnxMatte(cand, model, ctx.log));
    return { alpha: matte.alpha, source: 'ml-matte' };
  }
  let matte: Matte | null = null;
  try {
    matte = await classicalMatte(cand, { sensitivity: 0.5, shadowTolerance: 0.5, holes: 'auto' });
  } catch (err) {
    if (!(err instanceof NoProductError)) throw err;
  }
  const backdrop = matte ? backdropPlainness(matte) : undefined;
  if (matte && backdrop && isPlainBackdrop(backdrop)) {
    return { alpha: matte.alpha, source: 'classical', backdrop };
  }
  // A scene: the matte would guess. Look for the original itself instead.
  return locateByMatch(ctx, cand, orig, origAlpha, backdrop);
}

async function locateByMatch(ctx: NodeContext, cand: RawImage, orig: RawImage, origAlpha: Uint8Array, backdrop: BackdropPlainness | undefined): Promise<LocatedCandidate> {
  ctx.progress(0.2, 'matching the original in the scene');
  const found = await matchProduct(cand, orig, origAlpha);
  if (!found || found.ncc < MIN_MATCH_NCC) {
    throw new ProductNotFoundError(
      `can't tell where the product is in the candidate: its backdrop is not plain (${backdrop ? `a scene: ${Math.round(backdrop.fitShare * 100)} % of the border fits one backdrop, noise ΔE ${backdrop.noise.toFixed(1)}` : 'nothing stands out from it as one product'}) `
      + `and the original cut-out was not found in it (best match ${found ? found.ncc.toFixed(2) : 'none'}, `
      + `at least ${MIN_MATCH_NCC} needed). To check products on scenes, ${WIRE_HINT}.`,
    );
  }
  const box = boundingBox(origAlpha, orig.width, orig.height, 127)!;
  const k = found.scale;
  const placement = uniformPlacement(orig.width, orig.height, found.centre[0] - (box.x + box.width / 2) * k, found.centre[1] - (box.y + box.height / 2) * k, k);
  return {
    alpha: await placedAlpha(origAlpha, orig.width, orig.height, placement, cand.width, cand.height),
    source: 'match',
    known: { centre: found.centre, scale: 1 / k },
    backdrop,
    match: { ncc: found.ncc },
  };
}

/**
 * The placement as an alignment: the original's box centre through the placement's per-axis map
 * (where the generator put it), and one uniform scale (geometric mean of the axes), so a product
 * the generator stretched stays stretched on the comparison grid and fails.
 */
function knownTransform(p: ProductPlacement, orig: RawImage, origAlpha: Uint8Array): KnownTransform | undefined {
  // The placement maps the whole cut-out the generator got (a uniformly resized copy of the original) onto its rectangle.
  const ax = p.width / orig.width, ay = p.height / orig.height;
  const box = boundingBox(origAlpha, orig.width, orig.height, 127);
  if (!box) return undefined;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  return { centre: [p.x + cx * ax, p.y + cy * ay], scale: 1 / Math.sqrt(ax * ay) };
}
