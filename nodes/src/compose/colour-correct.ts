import { Type } from '@sinclair/typebox';
import { defineNode, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import { applyLuts, labStats, levelsLut, measureBackdrop, transferLab, whiteBalanceLuts } from './colour-ops';
import { boundingBox } from '../image/mask-ops';
import { loadImage, loadMask, storeImage } from '../image/image-artifacts';
import { findProduct } from '../segment/product-mask';
import type { RawImage } from '../image/raw-image';
import { backdropPlainness, isPlainBackdrop } from '../quality/locate-candidate';

export const colourCorrectNode = defineNode({
  type: 'colour-correct',
  version: 1,
  title: 'Colour correct',
  category: 'colour',
  description:
    'White balance from the backdrop, percentile levels, and (with the original cut-out) matching the product\'s colour back to the '
    + 'original inside its mask: the anti-drift step after generative or heavy edits.',
  resource: 'cpu',
  inputs: [
    { name: 'image', type: 'image', label: 'Image' },
    { name: 'original', type: 'cutout', label: 'Original cut-out', optional: true, description: 'The colour reference for matchProduct' },
    { name: 'mask', type: 'mask', label: 'Product mask', optional: true, description: "The product in this image (same picture); segmented when absent or of another image" },
  ],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: Type.Object({
    whiteBalance: Type.Boolean({ default: true, description: 'Neutralise a colour cast measured on the border (backdrop) pixels' }),
    castLimit: Type.Number({ minimum: 1, maximum: 60, default: 20, description: 'A border more colourful than this (Lab chroma) is a coloured backdrop, not a cast: left alone' }),
    levels: Type.Boolean({ default: true, description: 'Stretch luminance so the 0.5%/99.5% percentiles reach black/white (gain at most 1.6)' }),
    matchProduct: Type.Boolean({ default: true, description: "Inside the mask, match the product's Lab mean/std to the original cut-out (needs original)" }),
  }),
  cacheable: true,
  async run(ctx, inputs, params) {
    const input = inputs.image;
    // Edited in place below: a private copy.
    const img = toColour(await loadImage(ctx, input, 'image', { writable: true }));
    const report: Record<string, unknown> = {};

    if (params.whiteBalance) {
      const backdrop = measureBackdrop(img);
      if (!backdrop) report.whiteBalance = { applied: false, reason: 'no opaque border pixels' };
      else if (backdrop.chroma > params.castLimit) report.whiteBalance = { applied: false, reason: 'coloured backdrop', chroma: round(backdrop.chroma) };
      else if (backdrop.chroma < 0.5) report.whiteBalance = { applied: false, reason: 'already neutral', chroma: round(backdrop.chroma) };
      else {
        const { luts, gains } = whiteBalanceLuts(backdrop.rgb);
        applyLuts(img, luts);
        report.whiteBalance = { applied: true, backdrop: backdrop.rgb, chroma: round(backdrop.chroma), gains: gains.map(round) };
      }
    }
    if (params.levels) {
      const levels = levelsLut(img);
      if (levels) applyLuts(img, [levels.lut, levels.lut, levels.lut]);
      report.levels = levels ? { applied: true, black: levels.black, white: levels.white } : { applied: false };
    }
    ctx.signal.throwIfAborted();

    if (params.matchProduct && inputs.original) {
      ctx.progress(0.4, 'matching the product colour');
      report.matchProduct = await matchProduct(img, await loadImage(ctx, inputs.original, 'original cut-out'), inputs.mask, ctx);
    } else {
      report.matchProduct = { applied: false, reason: !params.matchProduct ? 'off' : 'no original cut-out connected' };
    }

    // A plain studio backdrop stays plain after correction: cheap to compress.
    const plain = input.meta?.background === 'white' || input.meta?.background === 'solid';
    const image = await storeImage(ctx, img, plain ? 'flat' : 'photo', { ...(input.meta ?? {}), colourCorrection: report });
    return { image };
  },
});

async function matchProduct(img: RawImage, original: RawImage, maskRef: ArtifactRef | undefined, ctx: NodeContext) {
  let given = maskRef ? await loadMask(ctx, maskRef, 'product mask') : null;
  if (given && (given.width !== img.width || given.height !== img.height)) {
    // A mask of another picture (the source photo before compositing): find the product here instead.
    ctx.log.warn('colour-correct: the mask does not match the image size, segmenting the image instead', { mask: [given.width, given.height], image: [img.width, img.height] });
    given = null;
  }
  const [target, product] = await Promise.all([findProduct(original, null, 'original cut-out'), findProduct(img, given, 'image')]);
  // On a scene the built-in matte guesses: matching would recolour whatever it found.
  if (product.source === 'classical' && product.matte && !isPlainBackdrop(backdropPlainness(product.matte))) {
    return { applied: false, reason: "the image is a scene, where the built-in matte cannot tell the product: connect the generator's mask" };
  }
  // Statistics only transfer between the same pixels: an outline that differs (a missed part, a
  // wrong object) would pull the product towards the colours of something else.
  const aspect = (a: Uint8Array, w: number, h: number) => {
    const b = boundingBox(a, w, h, 127);
    return b ? b.width / b.height : NaN;
  };
  const ratio = aspect(product.alpha, img.width, img.height) / aspect(target.alpha, original.width, original.height);
  if (!(Math.abs(Math.log(ratio)) <= 0.08)) return { applied: false, reason: `the product outline in the image differs from the original (aspect ratio x${round(ratio)}); connect the product mask` };
  const want = labStats(original, target.alpha, 250, original.width);
  const have = labStats(img, product.alpha, 250, img.width);
  if (!want || !have) return { applied: false, reason: 'too few product pixels' };
  transferLab(img, product.alpha, have, want);
  return { applied: true, maskSource: product.source, from: { mean: have.mean.map(round), std: have.std.map(round) }, to: { mean: want.mean.map(round), std: want.std.map(round) } };
}

/** Colour work needs three channels; grey images are expanded (alpha kept). */
function toColour(img: RawImage): RawImage {
  if (img.channels >= 3) return img;
  const n = img.width * img.height, C = img.channels, out = Buffer.allocUnsafe(n * (C + 2));
  for (let i = 0; i < n; i++) {
    const v = img.data[i * C];
    out.set(C === 2 ? [v, v, v, img.data[i * C + 1]] : [v, v, v], i * (C + 2));
  }
  return { data: out, width: img.width, height: img.height, channels: (C + 2) as 3 | 4 };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
