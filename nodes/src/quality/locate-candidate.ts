import { PermanentNodeError, useModel, type NodeContext } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from '../image/alpha-mask';
import { boundingBox } from '../image/mask-ops';
import { placedAlpha, type ProductPlacement } from '../image/placement';
import type { RawImage } from '../image/raw-image';
import { MODEL_CONFIG_HINT } from '../models/model-registry';
import { classicalMatte, NoProductError, type Matte } from '../segment/classical-segmenter';
import { onnxMatte, type SegmentationModel } from '../segment/onnx-matte';
import { findProduct } from '../segment/product-mask';
import type { KnownTransform } from './product-alignment';

/** How the candidate's product was located, most trusted first. */
export type CandidateMaskSource = 'mask-input' | 'placement' | 'alpha' | 'ml-matte' | 'classical';

export interface LocatedCandidate {
  /** One byte per candidate pixel, 255 = product. */
  alpha: Uint8Array;
  source: CandidateMaskSource;
  /** The generator's placement as an alignment, when the candidate records one. */
  known?: KnownTransform;
  /** How plain the backdrop looked, when the classical matte was tried. */
  backdrop?: BackdropPlainness;
}

export interface BackdropPlainness {
  /** Share of the border that fits one smooth backdrop (a studio sweep: ~1; a wall over a table: ~0.6). */
  fitShare: number;
  /** 95th percentile Lab residual of the border around that backdrop. */
  noise: number;
  /** What stands out from the backdrop but is not the product, over the product's area. */
  strayShare: number;
}

/**
 * The classical matte is only trusted on a studio-like backdrop: one smooth surface along the whole
 * border, little texture, nothing else standing out. A generated scene (a wall over a table, wood,
 * foliage) fails this, and the matte there would find a wrong product and give a confident wrong score.
 */
const PLAIN = { fitShare: 0.9, noise: 8, strayShare: 0.2 };

const WIRE_HINT = "wire the generator's mask output to candidateMask, have the generator record meta.placement on its image (nodes/src/image/placement.ts), "
  + `or configure a segmentation model (${MODEL_CONFIG_HINT})`;

/**
 * Where the product is in the candidate: the wired mask, else the generator's placement (the
 * original's alpha through it), else the image's own alpha, else the ML matte when the plan placed
 * the node for a model (ctx.model), else the classical matte on a plain backdrop only. A placement
 * also gives the alignment, with a mask or without.
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
  let matte: Matte;
  try {
    matte = await classicalMatte(cand, { sensitivity: 0.5, shadowTolerance: 0.5, holes: 'auto' });
  } catch (err) {
    if (err instanceof NoProductError) throw new PermanentNodeError(`no product found in the candidate image: nothing stands out from its backdrop; ${WIRE_HINT}`);
    throw err;
  }
  const backdrop: BackdropPlainness = { fitShare: matte.backdrop.inliers / matte.backdrop.samples, noise: matte.backdrop.noise, strayShare: matte.stats.strayShare };
  if (backdrop.fitShare < PLAIN.fitShare || backdrop.noise > PLAIN.noise || backdrop.strayShare > PLAIN.strayShare) {
    throw new PermanentNodeError(
      `can't tell where the product is in the candidate: its backdrop is not plain (a scene: ${Math.round(backdrop.fitShare * 100)} % of the border fits one backdrop, `
      + `noise ΔE ${backdrop.noise.toFixed(1)}), so the built-in matte would guess and the score would be wrong. To check products on scenes, ${WIRE_HINT}.`,
    );
  }
  return { alpha: matte.alpha, source: 'classical', backdrop };
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
