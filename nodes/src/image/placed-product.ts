import { edgeWindow } from './edge-window';

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

/** Straight-alpha "over" of the product onto an RGB canvas. */
export function blendOver(canvas: Buffer, W: number, H: number, p: PlacedProduct): void {
  const { rgba, width: w, height: h, left, top } = p;
  for (let y = 0; y < h; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= H) continue;
    const xa = Math.max(0, -left), xb = Math.min(w, W - left);
    for (let x = xa; x < xb; x++) {
      const fx = left + x;
      const s = (y * w + x) * 4, a = rgba[s + 3];
      if (a === 0) continue;
      const o = (fy * W + fx) * 3;
      if (a === 255) {
        canvas[o] = rgba[s];
        canvas[o + 1] = rgba[s + 1];
        canvas[o + 2] = rgba[s + 2];
      } else {
        const k = a / 255, j = 1 - k;
        canvas[o] = Math.round(rgba[s] * k + canvas[o] * j);
        canvas[o + 1] = Math.round(rgba[s + 1] * k + canvas[o + 1] * j);
        canvas[o + 2] = Math.round(rgba[s + 2] * k + canvas[o + 2] * j);
      }
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

/** The product's alpha on a W × H frame: the composite's exact product mask (no re-segmentation needed downstream). */
export function placedAlpha(W: number, H: number, p: PlacedProduct): Buffer {
  const out = Buffer.alloc(W * H);
  const { rgba, width: w, height: h, left, top } = p;
  for (let y = 0; y < h; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= H) continue;
    const xa = Math.max(0, -left), xb = Math.min(w, W - left);
    for (let x = xa, o = fy * W + left + xa, q = (y * w + xa) * 4 + 3; x < xb; x++, o++, q += 4) out[o] = rgba[q];
  }
  return out;
}
