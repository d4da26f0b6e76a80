import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, useModel, type NodePlacement, type PortValues } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from '../image/alpha-mask';
import { classicalMatte, NoProductError } from './classical-segmenter';
import { cropRgba, cutoutRegion, featherAlpha, type Unmixing } from '../image/cutout';
import { BUILT_IN_PRESETS, MODEL_CONFIG_HINT, modelFingerprint, resolveModel } from '../models/model-registry';
import { onnxMatte, type SegmentationModel } from './onnx-matte';
import { judgeMatte, untrustedMessage, type MatteTrust } from './matte-trust';
import { loadImage, storeImage } from '../image/image-artifacts';
import { segmentCodeFingerprint } from './code-fingerprint';
import type { RawImage } from '../image/raw-image';
import type { CutoutMethod } from '@studioflow/runtime/graph';

/** Read once: the code does not change while the process runs. */
let codeFingerprint: string | undefined;

export const segmentNode = defineNode({
  type: 'segment',
  version: 1,
  title: 'Segment product',
  category: 'segmentation',
  description:
    'Separates the product from its backdrop: a cut-out cropped to the product and a full-size mask. With a segmentation model '
    + 'configured (ONNX: BiRefNet, RMBG, IS-Net) it runs the model on the GPU runtime; otherwise the built-in model-free matte '
    + '(a smooth-backdrop pass, else a GrabCut-style graph cut for cloth, wood or clutter). Every cut-out is judged by a trust check: '
    + 'a doubtful one fails and is refunded, or goes to review. Shadows on the backdrop are left out; an image that already has '
    + 'transparency keeps its own alpha.',
  resource: 'cpu',
  inputs: [{ name: 'image', type: 'image', label: 'Image' }],
  outputs: [
    { name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'RGBA PNG cropped to the product plus a margin; meta.bbox places it in the source' },
    { name: 'mask', type: 'mask', label: 'Mask', description: 'Full-size single-channel alpha, 255 = product' },
  ],
  params: Type.Object({
    method: Type.Union([Type.Literal('auto'), Type.Literal('classical'), Type.Literal('onnx')], {
      default: 'auto',
      description: 'auto: the ONNX model if one is configured, else classical; onnx fails when no model is configured',
    }),
    model: Type.String({
      default: 'auto',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: 'Model preset: auto (STUDIOFLOW_DEFAULT_MODEL, else the first configured commercial-use preset), birefnet (MIT), rmbg-1.4 (non-commercial), rmbg-2.0 (CC BY-NC 4.0, opt-in)',
      // The editor offers these as choices, each with its licence; other preset ids stay allowed.
      examples: ['auto', ...BUILT_IN_PRESETS.map((p) => p.id)],
      'x-licences': Object.fromEntries(BUILT_IN_PRESETS.map((p) => [p.id, p.licence])),
    }),
    sensitivity: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Higher keeps fainter product parts (and more backdrop noise)' }),
    shadowTolerance: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'How much neutral darkening of the backdrop counts as shadow (share of its lightness)' }),
    holes: Type.Union([Type.Literal('auto'), Type.Literal('fill')], { default: 'auto', description: 'auto: enclosed backdrop-coloured areas (a mug handle) become transparent' }),
    feather: Type.Number({ minimum: 0, maximum: 16, default: 1, description: 'Extra edge softening in px' }),
    trustCheck: Type.Union([Type.Literal('fail'), Type.Literal('review'), Type.Literal('off')], {
      default: 'fail',
      description: 'What a doubtful cut-out does (pieces, an outline that follows no edge, a half-transparent matte, product left out). '
        + 'fail: the node fails with the reason and the run is refunded instead of delivering a broken shot; '
        + 'review: the cut-out goes on marked doubtful, and a human review node set to park on doubtful cut-outs stops the run there; '
        + 'off: no check (the trust figures are still reported)',
    }),
  }),
  cacheable: true,
  cacheSalt: () => (codeFingerprint ??= segmentCodeFingerprint()),
  placement: placeSegment,
  async run(ctx, inputs, params) {
    const img = await loadImage(ctx, inputs.image, 'input image');
    const { width: W, height: H } = img;
    ctx.progress(0.1, 'finding the product');

    let alpha = meaningfulAlpha(img);
    let unmix: Unmixing | undefined;
    let madeBy: CutoutMethod = { method: 'alpha', model: null, licence: 'the photo\'s own transparency' };
    let stats: Record<string, unknown> = {};
    let trust: MatteTrust | undefined;
    if (!alpha) {
      const requested = params.method;
      // The plan placed the node for a model (ctx.model) when the shared model configuration has one.
      const modelId = requested === 'classical' ? undefined : ctx.model;
      if (requested === 'onnx' && !modelId) {
        throw new PermanentNodeError(`model not configured: set up "${params.model}" (${MODEL_CONFIG_HINT}), or use method classical`);
      }
      if (modelId) {
        ctx.progress(0.2, `running ${modelId}`);
        const matte = await useModel(ctx.models, modelId, (model: SegmentationModel) => onnxMatte(img, model, ctx.log));
        alpha = matte.alpha;
        madeBy = { method: 'onnx', model: matte.stats.model, licence: matte.stats.licence };
        stats = matte.stats;
        trust = await judgeMatte({ image: img, alpha, builtIn: await judgedBuiltInMatte(img, params) });
      } else {
        const matte = await classical(img, params);
        alpha = matte.alpha;
        unmix = { foreground: matte.foreground, backdrop: matte.backdrop };
        madeBy = { method: 'classical', model: null, licence: 'built-in (no model)' };
        stats = matte.stats;
        trust = await judgeMatte({ image: img, alpha, strayShare: matte.stats.strayShare, cut: matte.stats.cut });
      }
      if (trust.verdict === 'doubtful' && params.trustCheck === 'fail') throw new PermanentNodeError(untrustedMessage(trust, madeBy.method));
    }
    const method = madeBy.method;
    ctx.signal.throwIfAborted();
    ctx.progress(0.6, 'cutting out');

    // feather px → box radius (a ramp of 2r+1 px); a given alpha channel is used as it is.
    const featherRadius = method === 'classical' ? Math.max(0, Math.round(params.feather / 2 + 0.25)) : 0;
    const found = cutoutRegion(alpha, W, H, featherRadius + Math.max(2, Math.round(0.01 * Math.max(W, H))));
    if (!found) throw new PermanentNodeError(method === 'onnx' ? 'no product found: the model marked nothing as foreground (if the photo plainly shows a product, check the preset\'s input normalisation)' : 'no product found: the image is fully transparent');
    featherAlpha(alpha, W, found.region, featherRadius);
    const cut = cropRgba(img, alpha, found.region, unmix);
    const productFraction = (found.product.width * found.product.height) / (W * H);
    // The full-frame mask costs a PNG encode: skipped when nothing in the run uses it.
    const [cutout, mask] = await Promise.all([
      storeImage(ctx, cut, 'photo', {
        bbox: found.region,
        productBbox: found.product,
        sourceSize: { width: W, height: H },
        ...workingScaleOf(inputs.image.meta, W, H),
        ...stats,
        ...madeBy,
        ...(trust ? { trust } : {}),
      }),
      ctx.wants('mask')
        ? storeImage(ctx, { data: Buffer.from(alpha.buffer, alpha.byteOffset, alpha.length), width: W, height: H, channels: 1 }, 'flat', {
          channels: 1,
          ...madeBy,
          ...(trust ? { trust } : {}),
          productBbox: found.product,
          productBoxFraction: productFraction,
        })
        : undefined,
    ]);
    const out: PortValues = { cutout };
    if (mask) out.mask = mask;
    return out;
  },
});

/**
 * With a model configured (shared model configuration) and a method other than classical, segment
 * runs on the GPU runtime, which keeps the model warm; the classical matte stays on CPU workers.
 * An unknown model id throws, so the graph is refused before the run starts.
 */
function placeSegment(params: { method?: string; model?: string }): NodePlacement {
  if (params.method === 'classical') return { resource: 'cpu' };
  const model = resolveModel(params.model ?? 'auto');
  if (!model) return { resource: 'cpu' };
  return { resource: 'gpu', model: { id: model.preset.id, fingerprint: modelFingerprint(model) } };
}

/**
 * The segmented image's size over the photo's as uploaded (below 1 when input-image reduced it), so
 * the composite can tell enlarging the photo from enlarging its working copy.
 */
function workingScaleOf(meta: Record<string, unknown> | undefined, W: number, H: number): { workingScale?: number } {
  const ow = meta?.originalWidth, oh = meta?.originalHeight;
  if (typeof ow !== 'number' || typeof oh !== 'number' || ow <= 0 || oh <= 0) return {};
  return { workingScale: Math.round((Math.max(W, H) / Math.max(ow, oh)) * 1e4) / 1e4 };
}

/**
 * The built-in matte beside a model's, with its own verdict: it is cheap beside a model, and a model
 * that cut the wrong thing (a prop, a detail) still makes a crisp matte along real edges that only
 * the comparison gives away. Undefined when the built-in matte finds no product.
 */
async function judgedBuiltInMatte(img: RawImage, params: { sensitivity: number; shadowTolerance: number; holes: 'auto' | 'fill' }): Promise<{ alpha: Uint8Array; trusted: boolean } | undefined> {
  const matte = await classicalMatte(img, { sensitivity: params.sensitivity, shadowTolerance: params.shadowTolerance, holes: params.holes }).catch(() => undefined);
  if (!matte) return undefined;
  const trust = await judgeMatte({ image: img, alpha: matte.alpha, strayShare: matte.stats.strayShare, cut: matte.stats.cut });
  return { alpha: matte.alpha, trusted: trust.verdict === 'trusted' };
}

async function classical(img: RawImage, params: { sensitivity: number; shadowTolerance: number; holes: 'auto' | 'fill' }) {
  try {
    return await classicalMatte(img, { sensitivity: params.sensitivity, shadowTolerance: params.shadowTolerance, holes: params.holes });
  } catch (err) {
    if (err instanceof NoProductError) throw new PermanentNodeError(err.message);
    throw err;
  }
}
