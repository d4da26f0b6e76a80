import type { Rect } from '../image/cutout';
import { edgeWindow } from '../image/edge-window';

/** A straight-alpha RGBA product image placed on a frame at (left, top). */
export interface PlacedProduct {
  rgba: Buffer;
  width: number;
  height: number;
  left: number;
  top: number;
}

/** The product's lowest opaque row and the horizontal extent of its base (the footprint). */
export function footprint(p: PlacedProduct): { baseRow: number; x0: number; x1: number } {
  const { rgba, width: w, height: h } = p;
  let baseRow = h - 1;
  search: for (; baseRow > 0; baseRow--) {
    for (let x = 0; x < w; x++) if (rgba[(baseRow * w + x) * 4 + 3] >= 128) break search;
  }
  const band = Math.max(2, Math.round(0.02 * h));
  let x0 = w, x1 = -1;
  for (let y = Math.max(0, baseRow - band); y <= baseRow; y++) {
    for (let x = 0; x < w; x++) {
      if (rgba[(y * w + x) * 4 + 3] >= 128) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
    }
  }
  return x1 < 0 ? { baseRow, x0: 0, x1: w - 1 } : { baseRow, x0, x1 };
}

/**
 * Straight-alpha "over" of the product onto an RGB canvas. With `mask` (W × H, zeroed), also writes
 * the product's alpha there: the composite's exact product mask, in the same pass.
 */
export function blendOver(canvas: Buffer, W: number, H: number, p: PlacedProduct, mask?: Buffer): void {
  const { rgba, width: w, height: h, left, top } = p;
  for (let y = 0; y < h; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= H) continue;
    const xa = Math.max(0, -left), xb = Math.min(w, W - left);
    if (mask) copyAlphaRow(rgba, (y * w + xa) * 4 + 3, mask, fy * W + left + xa, xb - xa);
    blendRow(canvas, (fy * W + left + xa) * 3, rgba, (y * w + xa) * 4, xb - xa);
  }
}

function copyAlphaRow(rgba: Buffer, q: number, mask: Buffer, o: number, n: number): void {
  for (let k = 0; k < n; k++, q += 4) mask[o + k] = rgba[q];
}

function blendRow(canvas: Buffer, o: number, rgba: Buffer, s: number, n: number): void {
  for (let k = 0; k < n; k++, s += 4, o += 3) {
    const a = rgba[s + 3];
    if (a === 0) continue;
    if (a === 255) {
      canvas[o] = rgba[s];
      canvas[o + 1] = rgba[s + 1];
      canvas[o + 2] = rgba[s + 2];
    } else {
      const k1 = a / 255, j = 1 - k1;
      canvas[o] = Math.round(rgba[s] * k1 + canvas[o] * j);
      canvas[o + 1] = Math.round(rgba[s + 1] * k1 + canvas[o + 1] * j);
      canvas[o + 2] = Math.round(rgba[s + 2] * k1 + canvas[o + 2] * j);
    }
  }
}

/**
 * A floor reflection: the product mirrored about its base line, fading out over a third of its
 * height, as on gloss acrylic.
 */
export function applyReflection(canvas: Buffer, W: number, H: number, p: PlacedProduct, baseRow: number, strength: number): void {
  if (strength <= 0) return;
  const { rgba, width: w, left, top } = p;
  const span = Math.max(1, Math.round(0.35 * p.height));
  const baseY = top + baseRow;
  const winY = edgeWindow(H), winX = edgeWindow(W);
  for (let d = 1; d <= span; d++) {
    const fy = baseY + d, sy = baseRow - d + 1;
    if (fy >= H || sy < 0) break;
    const fade = 0.6 * strength * (1 - d / span) ** 2 * winY[fy];
    for (let x = 0; x < w; x++) {
      const fx = left + x;
      if (fx < 0 || fx >= W) continue;
      const s = (sy * w + x) * 4;
      const k = (rgba[s + 3] / 255) * fade * winX[fx];
      if (k <= 0) continue;
      const o = (fy * W + fx) * 3, j = 1 - k;
      canvas[o] = Math.round(rgba[s] * k + canvas[o] * j);
      canvas[o + 1] = Math.round(rgba[s + 1] * k + canvas[o + 1] * j);
      canvas[o + 2] = Math.round(rgba[s + 2] * k + canvas[o + 2] * j);
    }
  }
}

/**
 * Bounding boxes of the alpha channel (the last of `channels`) above `lo` (everything visible) and
 * above `hi` (the product body), in one pass that scans each row inwards from both ends only.
 */
export function alphaBoxes(data: Buffer, width: number, height: number, channels: number, lo = 3, hi = 127): { visible: Rect; body: Rect | null } | null {
  const C = channels;
  let vx0 = width, vx1 = -1, vy0 = -1, vy1 = -1;
  let bx0 = width, bx1 = -1, by0 = -1, by1 = -1;
  for (let y = 0; y < height; y++) {
    const a0 = (y * width) * C + C - 1;
    let l = 0;
    while (l < width && data[a0 + l * C] <= lo) l++;
    if (l === width) continue;
    let r = width - 1;
    while (r > l && data[a0 + r * C] <= lo) r--;
    if (l < vx0) vx0 = l;
    if (r > vx1) vx1 = r;
    if (vy0 < 0) vy0 = y;
    vy1 = y;
    let bl = l;
    while (bl <= r && data[a0 + bl * C] <= hi) bl++;
    if (bl > r) continue;
    let br = r;
    while (br > bl && data[a0 + br * C] <= hi) br--;
    if (bl < bx0) bx0 = bl;
    if (br > bx1) bx1 = br;
    if (by0 < 0) by0 = y;
    by1 = y;
  }
  if (vx1 < 0) return null;
  const visible = { x: vx0, y: vy0, width: vx1 - vx0 + 1, height: vy1 - vy0 + 1 };
  return { visible, body: bx1 < 0 ? null : { x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 } };
}
