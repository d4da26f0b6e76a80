import { randomInt } from 'node:crypto';
import sharp from 'sharp';
import { Type } from '@sinclair/typebox';
import { PermanentNodeError, type ArtifactRef, type NodeContext, type PortValues } from '@studioflow/runtime/contract';
import { alphaBoxes, blendOver } from '../compose/placed-product';
import { decoding } from '../image/decode';
import { loadImage, storeImage } from '../image/image-artifacts';
import { boxCount } from '../image/mask-ops';
import { decodeToRaw } from '../image/raw-image';
import { ASPECT_RATIOS, inpaintInput, type AspectRatio, type InpaintSchema } from './replicate-models';
import { placementMeta, type ProductPlacement } from '../image/placement';

/**
 * Product-preserving generation by mask-guided inpainting, whatever runs the model (a local Cog
 * server, Replicate): the cut-out is placed on a canvas, the model regenerates everything but the
 * product (white mask) and keeps the product (black), then the original product pixels are pasted
 * back over the result with their edge blended across the feather width, so a model that shifts
 * colours or softens detail in the kept region cannot change the product.
 */

/** The params every inpainting node shares (flux-local, a cloud/local router). */
export const INPAINT_PARAMS = {
  seed: Type.Integer({ minimum: -1, maximum: 2_147_483_647, default: -1, description: 'Seed of the first image (image i uses seed + i); -1 draws one, recorded on the image' }),
  guidance: Type.Number({ minimum: 0, maximum: 100, default: 30, description: 'Guidance: how closely the scene follows the prompt (FLUX Fill works around 30)' }),
  steps: Type.Integer({ minimum: 1, maximum: 50, default: 28, description: 'Denoising steps' }),
  strength: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'How much of the canvas the model may repaint in the scene region (1: all of it; models without strength ignore it)' }),
  maskGrow: Type.Integer({ minimum: 0, maximum: 64, default: 4, description: 'px the regenerated region reaches into the product edge, so the model can blend edges and contact shadows (paste-back restores the product)' }),
  maskFeather: Type.Integer({ minimum: 0, maximum: 64, default: 8, description: 'px of soft transition in the model mask, and the width over which the pasted-back product edge blends into the scene' }),
  fill: Type.Number({ minimum: 0.2, maximum: 0.95, default: 0.6, description: "Product's longest side over the image's corresponding side" }),
  aspect: Type.Union(ASPECT_RATIOS.map((a) => Type.Literal(a)), { default: '1:1', description: 'Aspect ratio of the image' }),
  size: Type.Integer({ minimum: 256, maximum: 2048, default: 1024, description: 'Longest side in px (sides are rounded to multiples of 16, as FLUX needs)' }),
  images: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'Variants, each its own prediction' }),
};

export interface InpaintParams {
  seed: number;
  guidance: number;
  steps: number;
  strength: number;
  maskGrow: number;
  maskFeather: number;
  fill: number;
  aspect: AspectRatio;
  size: number;
  images: number;
}

/** Where the cut-out went: the cut-out (sourceWidth × sourceHeight) scaled onto this rectangle of the image. */
export interface GenerateOptions {
  signal: AbortSignal;
  variant: number;
  /** A denoising step done. */
  onProgress: (step: number, total: number) => void;
  /** Something worth showing while no step advances (waiting for a busy server). */
  onStatus: (message: string) => void;
}

/** Whatever runs the inpainting model: one prediction per call, the image it made as file bytes. */
export interface FillBackend {
  schema: InpaintSchema;
  /** Shown in progress messages. */
  title: string;
  /** Recorded on every image (provider, model, server…). */
  meta: Record<string, unknown>;
  generate(input: Record<string, unknown>, options: GenerateOptions): Promise<{ image: Buffer; meta?: Record<string, unknown> }>;
}

/** The canvas backdrop the model repaints: neutral, so strength < 1 leans to no colour. */
const CANVAS_GREY = 0xd8;

/** The canvas and masks for one cut-out: what the model sees and what paste-back needs. */
export interface InpaintCanvas {
  width: number;
  height: number;
  /** RGB: the product placed on a neutral backdrop. */
  canvas: Buffer;
  /** The product's straight-alpha RGBA as placed (width × height of the placement). */
  product: Buffer;
  /** The placed product's alpha on the canvas, 255 = product. */
  alpha: Buffer;
  /** For the model: white regenerates, black keeps (the product shrunk by maskGrow, feathered). */
  modelMask: Buffer;
  placement: ProductPlacement;
  productBox: { x: number; y: number; width: number; height: number };
}

/** Runs `backend` once per variant on the placed cut-out and returns image, candidates and the placement mask. */
export async function inpaintProduct(
  ctx: NodeContext,
  inputs: { cutout: ArtifactRef; prompt: { positive: string; negative: string } },
  params: InpaintParams,
  backend: FillBackend,
): Promise<PortValues> {
  ctx.progress(0.02, 'placing the product');
  const cut = await loadImage(ctx, inputs.cutout, 'cut-out');
  const canvas = await placeOnCanvas(cut, params);
  ctx.signal.throwIfAborted();
  const [imageUrl, maskUrl] = await Promise.all([
    pngDataUrl(canvas.canvas, canvas.width, canvas.height, 3),
    pngDataUrl(canvas.modelMask, canvas.width, canvas.height, 1),
  ]);
  // FLUX Fill has no negative prompt: the things to avoid go into the text.
  const prompt = inputs.prompt.negative ? `${inputs.prompt.positive} Avoid: ${inputs.prompt.negative}.` : inputs.prompt.positive;
  const firstSeed = params.seed >= 0 ? params.seed : randomInt(0, 2 ** 31 - params.images);

  const candidates: ArtifactRef[] = [];
  for (let variant = 0; variant < params.images; variant++) {
    ctx.signal.throwIfAborted();
    const seed = firstSeed + variant;
    const of = params.images > 1 ? ` (image ${variant + 1} of ${params.images})` : '';
    const input = inpaintInput(backend.schema, { prompt, image: imageUrl, mask: maskUrl, guidance: params.guidance, steps: params.steps, seed, strength: params.strength });
    let done = 0.05 + (0.9 * variant) / params.images;
    ctx.progress(done, `${backend.title}: starting${of}`);
    const result = await backend.generate(input, {
      signal: ctx.signal,
      variant,
      onProgress: (step, total) => {
        done = 0.05 + (0.9 * (variant + step / total)) / params.images;
        ctx.progress(done, `${backend.title}: step ${step}/${total}${of}`);
      },
      onStatus: (message) => ctx.progress(done, `${backend.title}: ${message}${of}`),
    });
    const generated = await decodeToRaw(result.image, `generated image ${variant + 1}`);
    const pixels = await pasteBack(generated, canvas, params.maskFeather);
    candidates.push(
      await storeImage(ctx, { data: pixels, width: canvas.width, height: canvas.height, channels: 3 }, 'photo', {
        ...backend.meta,
        ...result.meta,
        seed,
        steps: params.steps,
        guidance: params.guidance,
        strength: params.strength,
        maskGrow: params.maskGrow,
        maskFeather: params.maskFeather,
        ...placementMeta(canvas.placement),
        productBox: canvas.productBox,
        // The product's own pixels in a generated scene.
        digitalSourceType: 'compositeWithTrainedAlgorithmicMedia',
      }),
    );
  }
  const out: PortValues = { image: candidates[0], candidates };
  if (ctx.wants('mask')) {
    out.mask = await storeImage(ctx, { data: canvas.alpha, width: canvas.width, height: canvas.height, channels: 1 }, 'flat', { channels: 1, productBbox: canvas.productBox, ...placementMeta(canvas.placement) });
  }
  return out;
}

/** The image size for an aspect ratio and a longest side, both sides multiples of 16. */
export function canvasSize(aspect: AspectRatio, size: number): { width: number; height: number } {
  const [a, b] = aspect.split(':').map(Number);
  const long = Math.max(16, Math.floor(size / 16) * 16);
  const short = Math.max(16, Math.round((long * Math.min(a, b)) / Math.max(a, b) / 16) * 16);
  return a >= b ? { width: long, height: short } : { width: short, height: long };
}

/** Places the cut-out centred at the fill ratio (measured by its product body) and builds both masks. */
export async function placeOnCanvas(cut: { data: Buffer; width: number; height: number; channels: number }, params: Pick<InpaintParams, 'aspect' | 'size' | 'fill' | 'maskGrow' | 'maskFeather'>): Promise<InpaintCanvas> {
  const { width: W, height: H } = canvasSize(params.aspect, params.size);
  const whole = { x: 0, y: 0, width: cut.width, height: cut.height };
  const boxes = cut.channels === 4 ? alphaBoxes(cut.data, cut.width, cut.height, 4) : { visible: whole, body: whole };
  if (!boxes) throw new PermanentNodeError('the cut-out is fully transparent: no product to place');
  const body = boxes.body ?? boxes.visible;
  const scale = Math.min((params.fill * W) / body.width, (params.fill * H) / body.height);
  const tw = Math.max(1, Math.round(cut.width * scale));
  const th = Math.max(1, Math.round(cut.height * scale));
  const left = Math.round((W - body.width * scale) / 2 - body.x * scale);
  const top = Math.round((H - body.height * scale) / 2 - body.y * scale);
  const product = await decoding('cut-out', () =>
    sharp(cut.data, { raw: { width: cut.width, height: cut.height, channels: cut.channels as 3 | 4 } }).ensureAlpha().resize(tw, th, { fit: 'fill' }).raw().toBuffer(),
  );
  const canvas = Buffer.alloc(W * H * 3, CANVAS_GREY);
  const alpha = Buffer.alloc(W * H);
  blendOver(canvas, W, H, { rgba: product, width: tw, height: th, left, top }, alpha);
  return {
    width: W,
    height: H,
    canvas,
    product,
    alpha,
    modelMask: fillMask(alpha, W, H, params.maskGrow, params.maskFeather),
    placement: { x: left, y: top, width: tw, height: th, sourceWidth: cut.width, sourceHeight: cut.height },
    productBox: { x: Math.round(left + body.x * scale), y: Math.round(top + body.y * scale), width: Math.round(body.width * scale), height: Math.round(body.height * scale) },
  };
}

/** White regenerates: everything but the product body shrunk by `grow` px, with a `feather` px soft edge. */
export function fillMask(alpha: Uint8Array, W: number, H: number, grow: number, feather: number): Buffer {
  let kept = binary(alpha);
  if (grow > 0) {
    const full = (2 * grow + 1) ** 2;
    const counts = boxCount(kept, W, H, grow);
    kept = new Uint8Array(W * H);
    for (let i = 0; i < kept.length; i++) kept[i] = counts[i] === full ? 1 : 0;
  }
  const r = Math.round(feather / 2);
  const mask = Buffer.alloc(W * H);
  if (r === 0) {
    for (let i = 0; i < mask.length; i++) mask[i] = kept[i] ? 0 : 255;
    return mask;
  }
  // The share of kept pixels in the (2r+1)² window: a linear ramp across the edge.
  const window = (2 * r + 1) ** 2;
  const soft = boxCount(kept, W, H, r);
  for (let i = 0; i < mask.length; i++) mask[i] = Math.round(255 * (1 - soft[i] / window));
  return mask;
}

/**
 * The generated image with the original product pasted back: weight = the product's alpha times
 * the share of product in a window of the feather width around the pixel, so pixels deeper inside
 * the product than that are the original's exactly and the edge blends into the scene.
 */
export async function pasteBack(generated: { data: Buffer; width: number; height: number; channels: number }, c: InpaintCanvas, feather: number): Promise<Buffer> {
  const { width: W, height: H } = c;
  let gen = generated;
  if (gen.width !== W || gen.height !== H || gen.channels !== 3) {
    // FLUX rounds sides to its latent grid; some servers add alpha.
    const data = await sharp(gen.data, { raw: { width: gen.width, height: gen.height, channels: gen.channels as 1 | 2 | 3 | 4 } })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(W, H, { fit: 'fill' })
      .raw()
      .toBuffer();
    gen = { data, width: W, height: H, channels: 3 };
  }
  const out = Buffer.from(gen.data);
  const r = Math.max(1, Math.round(feather / 2));
  const full = (2 * r + 1) ** 2;
  const inside = boxCount(binary(c.alpha), W, H, r);
  const { x: left, y: top, width: pw, height: ph } = c.placement;
  for (let y = Math.max(0, top); y < Math.min(H, top + ph); y++) {
    for (let x = Math.max(0, left); x < Math.min(W, left + pw); x++) {
      const i = y * W + x;
      const a = c.alpha[i];
      if (a === 0) continue;
      const q = ((y - top) * pw + (x - left)) * 4;
      const w = (a / 255) * (inside[i] / full);
      for (let ch = 0; ch < 3; ch++) {
        out[i * 3 + ch] = w >= 1 ? c.product[q + ch] : Math.round(out[i * 3 + ch] * (1 - w) + c.product[q + ch] * w);
      }
    }
  }
  return out;
}

function binary(alpha: Uint8Array): Uint8Array {
  const out = new Uint8Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) out[i] = alpha[i] >= 128 ? 1 : 0;
  return out;
}

async function pngDataUrl(data: Buffer, width: number, height: number, channels: 1 | 3): Promise<string> {
  const png = await sharp(data, { raw: { width, height, channels } }).png({ compressionLevel: 1 }).toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
