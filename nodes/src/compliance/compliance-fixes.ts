import sharp from 'sharp';
import { evalBackground } from '../image/background-model';
import { floorZone } from './compliance-checks';
import { cropRgba, type Rect } from '../image/cutout';
import type { ProductMask } from '../segment/product-mask';
import type { RawImage } from '../image/raw-image';

/**
 * Sets the backdrop to exactly 255,255,255. Product pixels are kept (edge pixels with the old
 * backdrop colour unmixed); on the floor zone below the product, shading relative to the fitted
 * backdrop is kept as a shadow, fading out towards the zone's edges; everything else is pure white.
 */
export function whitenBackdrop(img: RawImage, product: ProductMask, box: Rect): RawImage {
  const { width: W, height: H } = img;
  const { alpha, matte } = product;
  const whole = { x: 0, y: 0, width: W, height: H };
  const fg = cropRgba(img, alpha, whole, matte ? { foreground: matte.foreground, backdrop: matte.backdrop } : undefined).data;
  const floor = floorZone(box, W, H);
  const ramp = Math.max(2, 0.04 * Math.max(box.width, box.height));
  const bgModel = new Float64Array(6);
  const out = Buffer.allocUnsafe(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x, o = i * 3;
      const a = alpha[i] / 255;
      let shade = 1;
      const inFloor = x - floor.x, fromTop = y - floor.y;
      if (matte && a < 1 && inFloor >= 0 && inFloor < floor.width && fromTop >= 0) {
        const edge = Math.min(inFloor, floor.width - 1 - inFloor, fromTop, H - 1 - y) / ramp;
        const keep = edge >= 1 ? 1 : edge;
        evalBackground(matte.backdrop, W > 1 ? x / (W - 1) : 0.5, H > 1 ? y / (H - 1) : 0.5, bgModel);
        let lum = 0;
        for (let c = 0; c < 3; c++) lum += img.data[o + c] / Math.max(1, bgModel[3 + c]);
        lum /= 3;
        // Within noise of the backdrop is backdrop: exactly white, not 252-254.
        const darkening = lum >= 0.965 ? 0 : 1 - lum;
        shade = 1 - keep * darkening;
      }
      const bg = Math.max(0, Math.min(255, Math.round(255 * shade)));
      for (let c = 0; c < 3; c++) out[o + c] = a >= 1 ? img.data[o + c] : Math.round(a * fg[i * 4 + c] + (1 - a) * bg);
    }
  }
  return { data: out, width: W, height: H, channels: 3 };
}

/**
 * A canvasW × canvasH picture with the product box centred and scaled so its relatively longest
 * side covers `fill` of the frame. Only the visible source region is resampled (a small product
 * scaled up could otherwise mean a huge intermediate); the rest is `background` (one value per channel).
 */
export async function reframe(img: RawImage, box: Rect, canvasW: number, canvasH: number, fill: number, background: readonly number[]): Promise<RawImage> {
  const s = fill / Math.max(box.width / canvasW, box.height / canvasH);
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const x0 = Math.max(0, Math.floor(cx - canvasW / (2 * s))), x1 = Math.min(img.width, Math.ceil(cx + canvasW / (2 * s)));
  const y0 = Math.max(0, Math.floor(cy - canvasH / (2 * s))), y1 = Math.min(img.height, Math.ceil(cy + canvasH / (2 * s)));
  const rw = Math.max(1, Math.round((x1 - x0) * s)), rh = Math.max(1, Math.round((y1 - y0) * s));
  let pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .resize(rw, rh, { fit: 'fill' });
  if (img.channels === 1) pipeline = pipeline.extractChannel(0); // sharp would hand one channel back as three
  const region = await pipeline.raw().toBuffer();
  const C = img.channels;
  const out = Buffer.allocUnsafe(canvasW * canvasH * C);
  for (let i = 0; i < canvasW * canvasH; i++) for (let c = 0; c < C; c++) out[i * C + c] = background[c];
  const left = Math.round(canvasW / 2 + (x0 - cx) * s), top = Math.round(canvasH / 2 + (y0 - cy) * s);
  for (let y = 0; y < rh; y++) {
    const ty = top + y;
    if (ty < 0 || ty >= canvasH) continue;
    const from = Math.max(0, -left), to = Math.min(rw, canvasW - left);
    if (to > from) region.copy(out, (ty * canvasW + left + from) * C, (y * rw + from) * C, (y * rw + to) * C);
  }
  return { data: out, width: canvasW, height: canvasH, channels: C };
}
