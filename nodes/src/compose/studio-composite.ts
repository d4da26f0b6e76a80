import sharp from 'sharp';
import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, type PortValues } from '@studioflow/runtime/contract';
import { decoding } from '../image/decode';
import { HEX_COLOUR_PATTERN, parseHex } from '../image/hex-colour';
import { alphaBoxes, applyReflection, blendOver, footprint, type PlacedProduct } from './placed-product';
import { loadImage, storeImage } from '../image/image-artifacts';
import { placementMeta } from '../image/placement';
import { makeBackdrop } from './studio-backdrop';
import { applyStudioShadow } from './studio-shadow';

export const FRAME_SIZES = {
  '1:1-2048': [2048, 2048],
  '4:5-1600x2000': [1600, 2000],
  '16:9-2048x1152': [2048, 1152],
} as const;
export type FrameSize = keyof typeof FRAME_SIZES;
/** How forms name the frame sizes (the shoot app's and the editor's selects). */
const FRAME_TITLES: Record<FrameSize, string> = {
  '1:1-2048': 'Square, 2048 × 2048',
  '4:5-1600x2000': 'Portrait 4:5, 1600 × 2000',
  '16:9-2048x1152': 'Wide 16:9, 2048 × 1152',
};

const hex = (def: string, description: string) => Type.String({ pattern: HEX_COLOUR_PATTERN, default: def, description });

export const studioCompositeNode = defineNode({
  type: 'studio-composite',
  version: 1,
  title: 'Studio composite',
  category: 'compose',
  description: 'Places the cut-out on a studio backdrop at a marketplace fill ratio, with a soft contact shadow and an optional floor reflection.',
  resource: 'cpu',
  inputs: [{ name: 'cutout', type: 'cutout', label: 'Cut-out' }],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'RGB, frame size' },
    { name: 'mask', type: 'mask', label: 'Mask', description: 'Where the product was placed (its alpha on the frame): downstream nodes need not re-segment' },
  ],
  params: Type.Object({
    background: Type.Union([Type.Literal('white'), Type.Literal('solid'), Type.Literal('sweep'), Type.Literal('gradient')], {
      default: 'white',
      description: 'white is exactly RGB 255,255,255 (Amazon main image)',
    }),
    color: hex('#ffffff', 'Solid colour; the floor of a sweep; the centre of a gradient'),
    secondColor: hex('#e4e4e8', 'The top of a sweep; the rim of a gradient'),
    size: Type.Union(Object.keys(FRAME_SIZES).map((k) => Type.Literal(k as FrameSize, { title: FRAME_TITLES[k as FrameSize] })), { default: '1:1-2048' }),
    fill: Type.Number({ minimum: 0.5, maximum: 0.95, default: 0.85, description: "Product's longest side over the frame's corresponding side" }),
    placement: Type.Union([Type.Literal('center'), Type.Literal('thirds')], { default: 'center' }),
    maxUpscale: Type.Number({
      minimum: 1,
      maximum: 8,
      default: 2,
      description: 'Most the product may be enlarged from the photo; a smaller photo gives a smaller frame (same aspect and fill) rather than a soft one',
    }),
    shadow: Type.Number({ minimum: 0, maximum: 1, default: 0.35, description: 'Contact shadow opacity' }),
    reflection: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Floor reflection strength' }),
  }),
  cacheable: true,
  async run(ctx, inputs, params) {
    const cut = await loadImage(ctx, inputs.cutout, 'cut-out');
    const whole = { x: 0, y: 0, width: cut.width, height: cut.height };
    // Resample everything visible (soft edge tails too) but measure and place by the product body.
    const boxes = cut.channels === 4 || cut.channels === 2 ? alphaBoxes(cut.data, cut.width, cut.height, cut.channels) : { visible: whole, body: whole };
    if (!boxes) throw new PermanentNodeError('the cut-out is fully transparent: no product to place');
    const visible = boxes.visible;
    const body = boxes.body ?? visible;

    const frame = FRAME_SIZES[params.size];
    const fill = params.fill;
    // Fit inside the fill box: the longer relative side touches it (the 85% rule).
    const wanted = Math.min((fill * frame[0]) / body.width, (fill * frame[1]) / body.height);
    // Plain upscaling past the cap only blurs: the frame shrinks instead (compliance then says the source is too small).
    // The cap counts from the photo as uploaded: a cut-out from a reduced working copy may be enlarged back.
    // Detail lives in the uploaded photo's pixels, or in a model-upscaled cut-out's own (workingScale > 1).
    const working = Math.min(1, workingScale(inputs.cutout.meta));
    const allowed = params.maxUpscale / working;
    const shrink = wanted > allowed ? allowed / wanted : 1;
    const FW = Math.max(1, Math.round(frame[0] * shrink)), FH = Math.max(1, Math.round(frame[1] * shrink));
    const scale = wanted * shrink;
    const sourceScale: SourceScale = {
      upscale: round2(scale * working),
      maxUpscale: params.maxUpscale,
      ...(shrink < 1 ? { neededUpscale: round2(wanted * working), frameWanted: [frame[0], frame[1]] } : {}),
    };
    const tw = Math.max(1, Math.round(visible.width * scale));
    const th = Math.max(1, Math.round(visible.height * scale));
    ctx.progress(0.2, 'scaling the product');
    const rgba = await decoding('cut-out', () =>
      sharp(cut.data, { raw: { width: cut.width, height: cut.height, channels: cut.channels } })
        .extract({ left: visible.x, top: visible.y, width: visible.width, height: visible.height })
        .ensureAlpha()
        .resize(tw, th, { fit: 'fill' })
        .raw()
        .toBuffer(),
    );
    const bodyW = body.width * scale, bodyH = body.height * scale;
    const left = Math.round(placeX(params.placement, FW, bodyW) - (body.x - visible.x) * scale);
    const top = Math.round((FH - bodyH) / 2 - (body.y - visible.y) * scale);
    const bodyBox = { x: Math.round(left + (body.x - visible.x) * scale), y: Math.round(top + (body.y - visible.y) * scale), width: Math.round(bodyW), height: Math.round(bodyH) };
    const product: PlacedProduct = { rgba, width: tw, height: th, left, top };
    // The whole cut-out's rectangle on the frame (its visible part was what got scaled to tw × th).
    const sx = tw / visible.width, sy = th / visible.height;
    const placement = placementMeta({ x: left - visible.x * sx, y: top - visible.y * sy, width: cut.width * sx, height: cut.height * sy, sourceWidth: cut.width, sourceHeight: cut.height });
    ctx.signal.throwIfAborted();

    ctx.progress(0.5, 'lighting');
    const kind = params.background;
    const canvas = makeBackdrop(FW, FH, {
      kind,
      color: parseHex(params.color),
      secondColor: parseHex(params.secondColor),
      horizonY: bodyBox.y + bodyBox.height,
      centerY: bodyBox.y + bodyBox.height / 2,
    });
    applyStudioShadow(canvas, FW, FH, product, params.shadow);
    applyReflection(canvas, FW, FH, product, footprint(product).baseRow, params.reflection);
    // The product mask on the frame, unless nothing in the run uses it.
    const mask = ctx.wants('mask') ? Buffer.alloc(FW * FH) : undefined;
    blendOver(canvas, FW, FH, product, mask);

    // A product on a plain backdrop compresses well and cheaply; a gradient backdrop does not.
    const [image, maskRef] = await Promise.all([
      storeImage(ctx, { data: canvas, width: FW, height: FH, channels: 3 }, kind === 'white' || kind === 'solid' ? 'flat' : 'photo', {
        background: kind,
        size: params.size,
        productBox: bodyBox,
        fill: Math.max(bodyBox.width / FW, bodyBox.height / FH),
        digitalSourceType: 'compositeSynthetic',
        sourceScale,
        ...placement,
      }),
      mask && storeImage(ctx, { data: mask, width: FW, height: FH, channels: 1 }, 'flat', { channels: 1, productBbox: bodyBox }),
    ]);
    const out: PortValues = { image };
    if (maskRef) out.mask = maskRef;
    return out;
  },
});

/**
 * How much the product was enlarged from the uploaded photo's pixels (image meta `sourceScale`); with
 * `neededUpscale` the frame was shrunk from `frameWanted` because the photo was too small for it.
 */
export interface SourceScale {
  upscale: number;
  maxUpscale: number;
  neededUpscale?: number;
  frameWanted?: [number, number];
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** meta.workingScale: the cut-out's pixels over the uploaded photo's (segment; the upscale node multiplies it); 1 when unknown. */
function workingScale(meta: Record<string, unknown> | undefined): number {
  const s = meta?.workingScale;
  return typeof s === 'number' && s > 0 ? s : 1;
}

/** Left edge of the product body. thirds: its centre on the left third line, kept inside a 2.5% margin. */
function placeX(placement: 'center' | 'thirds', FW: number, bodyW: number): number {
  const centred = (FW - bodyW) / 2;
  if (placement === 'center') return centred;
  const margin = 0.025 * FW;
  return Math.min(Math.max(FW / 3 - bodyW / 2, margin), Math.max(margin, FW - margin - bodyW));
}
