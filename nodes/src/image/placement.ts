import sharp from 'sharp';
import { PermanentNodeError, type ArtifactRef } from '@studioflow/runtime/contract';
import type { RawImage } from './raw-image';

/**
 * Where a node put the product in the image it made: the contract between whatever places a
 * cut-out (studio-composite, an inpainting generator, a cloud generator that pastes the product
 * back) and the nodes that check the product afterwards (product-fidelity).
 *
 * The cut-out as the node received it, `sourceWidth` × `sourceHeight` px (the cut-out artifact or
 * a copy resized without changing its aspect), was scaled onto the rectangle `x, y, width, height`
 * of the output image, in the output's pixels (fractions allowed; no rotation): cut-out pixel
 * (u, v) landed at (x + u · width / sourceWidth, y + v · height / sourceHeight).
 *
 * A node that places the product emits both:
 * - its image artifact's `meta.placement` (write it with `placementMeta`, read it with `readPlacement`);
 * - a `mask` output the size of the image, 255 = the product as placed (the cut-out's alpha through
 *   the same transform; `placeCutout` writes it while it pastes).
 */
export interface ProductPlacement {
  x: number;
  y: number;
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
}

/** The artifact meta that records a placement: spread it into the image's meta. */
export function placementMeta(p: ProductPlacement): { placement: ProductPlacement } {
  return { placement: { x: p.x, y: p.y, width: p.width, height: p.height, sourceWidth: p.sourceWidth, sourceHeight: p.sourceHeight } };
}

/**
 * The placement an image artifact records, or null when it records none. A malformed one is a
 * permanent error: guessing where the product is would give a confident wrong score.
 */
export function readPlacement(ref: ArtifactRef): ProductPlacement | null {
  const p = ref.meta?.placement;
  if (p === undefined || p === null) return null;
  const q = (typeof p === 'object' ? p : {}) as Record<string, unknown>;
  const fields = ['x', 'y', 'width', 'height', 'sourceWidth', 'sourceHeight'] as const;
  const bad = fields.filter((k) => {
    const v = q[k];
    return typeof v !== 'number' || !Number.isFinite(v) || (k !== 'x' && k !== 'y' && v <= 0);
  });
  if (bad.length) throw new PermanentNodeError(`the image's meta.placement is malformed (${bad.join(', ')}): expected { x, y, width, height, sourceWidth, sourceHeight } with positive sizes`);
  const v = q as unknown as ProductPlacement;
  return { x: v.x, y: v.y, width: v.width, height: v.height, sourceWidth: v.sourceWidth, sourceHeight: v.sourceHeight };
}

/** The placement that scales a `sourceWidth` × `sourceHeight` cut-out by `scale` and puts its pixel 0,0 at (x, y). */
export function uniformPlacement(sourceWidth: number, sourceHeight: number, x: number, y: number, scale: number): ProductPlacement {
  return { x, y, width: sourceWidth * scale, height: sourceHeight * scale, sourceWidth, sourceHeight };
}

/**
 * Pastes an RGBA cut-out onto an RGB canvas (in place) at a placement whose rectangle is rounded
 * to whole pixels, and returns the image-size mask of the product as placed (255 = product) and
 * the placement actually applied. A source size other than the cut-out's is honoured (the
 * cut-out is then a resized copy of what the placement describes).
 */
export async function placeCutout(canvas: RawImage, cutout: RawImage, placement: ProductPlacement): Promise<{ mask: Buffer; placement: ProductPlacement }> {
  if (canvas.channels !== 3 || cutout.channels !== 4) throw new Error('placeCutout: an RGB canvas and an RGBA cut-out');
  const left = Math.round(placement.x), top = Math.round(placement.y);
  const w = Math.max(1, Math.round(placement.width)), h = Math.max(1, Math.round(placement.height));
  const rgba = await sharp(cutout.data, { raw: { width: cutout.width, height: cutout.height, channels: 4 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const { data, width: W, height: H } = canvas;
  const mask = Buffer.alloc(W * H);
  for (let y = 0; y < h; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= H) continue;
    for (let x = 0; x < w; x++) {
      const fx = left + x;
      if (fx < 0 || fx >= W) continue;
      const s = (y * w + x) * 4, a = rgba[s + 3];
      const i = fy * W + fx, o = i * 3;
      mask[i] = a;
      if (a === 0) continue;
      const k = a / 255, j = 1 - k;
      data[o] = Math.round(rgba[s] * k + data[o] * j);
      data[o + 1] = Math.round(rgba[s + 1] * k + data[o + 1] * j);
      data[o + 2] = Math.round(rgba[s + 2] * k + data[o + 2] * j);
    }
  }
  return { mask, placement: { x: left, y: top, width: w, height: h, sourceWidth: placement.sourceWidth, sourceHeight: placement.sourceHeight } };
}

/**
 * The cut-out's alpha (`alpha`, `cw` × `ch`) through a placement onto a `W` × `H` plane: where the
 * product is when the image carries a placement but no mask was wired.
 */
export async function placedAlpha(alpha: Uint8Array, cw: number, ch: number, placement: ProductPlacement, W: number, H: number): Promise<Uint8Array> {
  const left = Math.round(placement.x), top = Math.round(placement.y);
  const w = Math.max(1, Math.round(placement.width)), h = Math.max(1, Math.round(placement.height));
  const scaled = await sharp(alpha, { raw: { width: cw, height: ch, channels: 1 } }).resize(w, h, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
  const out = new Uint8Array(W * H);
  for (let y = Math.max(0, -top); y < h && top + y < H; y++) {
    const x0 = Math.max(0, -left), x1 = Math.min(w, W - left);
    if (x1 > x0) out.set(scaled.subarray(y * w + x0, y * w + x1), (top + y) * W + left + x0);
  }
  return out;
}
