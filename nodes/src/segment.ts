import { Type } from '@sinclair/typebox';
import { defineNode, isArtifactRef, PermanentNodeError } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from './image/alpha-mask';
import { classicalMatte, NoProductError } from './image/classical-segmenter';
import { cropRgba, cutoutRegion, featherAlpha, type Unmixing } from './image/cutout';
import { decodeToRaw, encodeIntermediate, INTERMEDIATE_MIME } from './image/raw-image';

export const segmentNode = defineNode({
  type: 'segment',
  version: 1,
  title: 'Segment product',
  category: 'segmentation',
  description:
    'Separates the product from a plain backdrop (classical, model-free): a cut-out cropped to the product and a full-size mask. '
    + 'Shadows on the backdrop are left out; an image that already has transparency keeps its own alpha.',
  resource: 'cpu',
  inputs: [{ name: 'image', type: 'image', label: 'Image' }],
  outputs: [
    { name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'RGBA PNG cropped to the product plus a margin; meta.bbox places it in the source' },
    { name: 'mask', type: 'mask', label: 'Mask', description: 'Full-size single-channel alpha, 255 = product' },
  ],
  params: Type.Object({
    method: Type.Union([Type.Literal('auto'), Type.Literal('classical')], { default: 'auto', description: 'auto is classical until a model preset exists' }),
    sensitivity: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Higher keeps fainter product parts (and more backdrop noise)' }),
    shadowTolerance: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'How much neutral darkening of the backdrop counts as shadow (share of its lightness)' }),
    holes: Type.Union([Type.Literal('auto'), Type.Literal('fill')], { default: 'auto', description: 'auto: enclosed backdrop-coloured areas (a mug handle) become transparent' }),
    feather: Type.Number({ minimum: 0, maximum: 16, default: 1, description: 'Extra edge softening in px' }),
  }),
  cacheable: true,
  timeoutMs: 60_000,
  async run(ctx, inputs, params) {
    const input = inputs.image;
    if (!isArtifactRef(input)) throw new PermanentNodeError('segment needs an image input');
    const img = await decodeToRaw(await ctx.artifacts.get(input), 'input image');
    const { width: W, height: H } = img;
    ctx.progress(0.1, 'finding the product');

    let alpha = meaningfulAlpha(img);
    let unmix: Unmixing | undefined;
    let method = 'alpha';
    let stats: Record<string, number> = {};
    if (!alpha) {
      try {
        const matte = await classicalMatte(img, {
          sensitivity: params.sensitivity ?? 0.5,
          shadowTolerance: params.shadowTolerance ?? 0.5,
          holes: params.holes ?? 'auto',
        });
        alpha = matte.alpha;
        unmix = { foreground: matte.foreground, backdrop: matte.backdrop };
        method = 'classical';
        stats = matte.stats;
      } catch (err) {
        if (err instanceof NoProductError) throw new PermanentNodeError(err.message);
        throw err;
      }
    }
    ctx.signal.throwIfAborted();
    ctx.progress(0.6, 'cutting out');

    // feather px → box radius (a ramp of 2r+1 px); a given alpha channel is used as it is.
    const featherRadius = method === 'classical' ? Math.max(0, Math.round((params.feather ?? 1) / 2 + 0.25)) : 0;
    const found = cutoutRegion(alpha, W, H, featherRadius + Math.max(2, Math.round(0.01 * Math.max(W, H))));
    if (!found) throw new PermanentNodeError('no product found: the image is fully transparent');
    featherAlpha(alpha, W, found.region, featherRadius);
    const cut = cropRgba(img, alpha, found.region, unmix);
    const [cutoutPng, maskPng] = await Promise.all([
      encodeIntermediate(cut),
      encodeIntermediate({ data: Buffer.from(alpha.buffer, alpha.byteOffset, alpha.length), width: W, height: H, channels: 1 }, 'flat'),
    ]);
    const productFraction = (found.product.width * found.product.height) / (W * H);
    const cutout = await ctx.artifacts.put(cutoutPng, {
      mime: INTERMEDIATE_MIME,
      width: cut.width,
      height: cut.height,
      meta: { bbox: found.region, productBbox: found.product, sourceSize: { width: W, height: H }, method, ...stats },
    });
    const mask = await ctx.artifacts.put(maskPng, {
      mime: INTERMEDIATE_MIME,
      width: W,
      height: H,
      meta: { channels: 1, method, productBbox: found.product, productBoxFraction: productFraction },
    });
    return { cutout, mask };
  },
});
