import { evalBackground, type BackgroundModel } from './background-model';
import type { ForegroundColour } from './foreground-colour';
import { boundingBox } from './mask-ops';
import type { RawImage } from './raw-image';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Box-feathers alpha in place within a region (radius r: a ramp of 2r+1 px). Separable running
 * sums on 16-bit rows; pixels whose window is uniform are left alone, which is most of them.
 */
export function featherAlpha(alpha: Uint8Array, W: number, region: Rect, r: number): void {
  if (r <= 0) return;
  const { x: rx, y: ry, width: w, height: h } = region;
  const rows = new Uint16Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = (ry + y) * W + rx, dst = y * w;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += alpha[src + clampInt(k, 0, w - 1)];
    for (let x = 0; x < w; x++) {
      rows[dst + x] = acc;
      acc += alpha[src + clampInt(x + r + 1, 0, w - 1)] - alpha[src + clampInt(x - r, 0, w - 1)];
    }
  }
  const div = (2 * r + 1) * (2 * r + 1);
  const col = new Uint32Array(w);
  for (let k = -r; k <= r; k++) {
    const o = clampInt(k, 0, h - 1) * w;
    for (let x = 0; x < w; x++) col[x] += rows[o + x];
  }
  for (let y = 0; y < h; y++) {
    const dst = (ry + y) * W + rx;
    const add = clampInt(y + r + 1, 0, h - 1) * w, sub = clampInt(y - r, 0, h - 1) * w;
    for (let x = 0; x < w; x++) {
      const s = col[x];
      if (s !== 0 && s !== div * 255) alpha[dst + x] = (s + (div >> 1)) / div;
      col[x] += rows[add + x] - rows[sub + x];
    }
  }
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The region to cut out: everything visibly non-transparent grown by a margin, clipped to the image;
 * and the product's own box (alpha at least half), which is what fill ratios are measured on.
 */
export function cutoutRegion(alpha: Uint8Array, W: number, H: number, margin: number): { region: Rect; product: Rect } | null {
  const visible = boundingBox(alpha, W, H, 3); // ignore near-zero alpha noise
  if (!visible) return null;
  const product = boundingBox(alpha, W, H, 127) ?? visible;
  const x = Math.max(0, visible.x - margin), y = Math.max(0, visible.y - margin);
  const x1 = Math.min(W, visible.x + visible.width + margin), y1 = Math.min(H, visible.y + visible.height + margin);
  return { region: { x, y, width: x1 - x, height: y1 - y }, product };
}

export interface Unmixing {
  foreground: ForegroundColour;
  backdrop: BackgroundModel;
}

/**
 * RGBA crop of the product. With an unmixing model, semi-transparent edge pixels get the backdrop
 * colour taken out (C = aF + (1-a)B solved for F, blended towards the local product colour where
 * a is small and the solve is noisy), so no backdrop-coloured fringe follows the product.
 */
export function cropRgba(img: RawImage, alpha: Uint8Array, region: Rect, unmix?: Unmixing): RawImage {
  const out = copyRgba(img, alpha, region);
  if (unmix) decontaminate(out, img.width, img.height, region, unmix);
  return { data: out, width: region.width, height: region.height, channels: 4 };
}

/** The plain copy: one tight loop (it runs over every pixel of the crop), one 32-bit store per pixel. */
function copyRgba(img: RawImage, alpha: Uint8Array, region: Rect): Buffer {
  const { width: W, channels: C, data } = img;
  const out = Buffer.allocUnsafeSlow(region.width * region.height * 4);
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
  const greyStep = C < 3 ? 0 : 1;
  for (let y = 0, o = 0; y < region.height; y++) {
    const i0 = (region.y + y) * W + region.x;
    copyRgbaRow(data, i0 * C, C, greyStep, alpha, i0, out32, o, region.width);
    o += region.width;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** RGBA in one word (byte order of the host). */
function copyRgbaRow(data: Buffer, q: number, C: number, step: number, alpha: Uint8Array, i: number, out32: Uint32Array, o: number, n: number): void {
  if (LITTLE_ENDIAN) for (let k = 0; k < n; k++, q += C) out32[o + k] = (data[q] | (data[q + step] << 8) | (data[q + 2 * step] << 16) | (alpha[i + k] << 24)) >>> 0;
  else for (let k = 0; k < n; k++, q += C) out32[o + k] = ((data[q] << 24) | (data[q + step] << 16) | (data[q + 2 * step] << 8) | alpha[i + k]) >>> 0;
}

/** Only the semi-transparent edge pixels: a few percent of the crop. */
function decontaminate(out: Buffer, W: number, H: number, region: Rect, unmix: Unmixing): void {
  const f = new Float64Array(3);
  const bg = new Float64Array(6);
  for (let y = 0, o = 0; y < region.height; y++) {
    const sy = region.y + y;
    for (let x = 0; x < region.width; x++, o += 4) {
      const a = out[o + 3];
      if (a === 255 || a === 0) continue;
      const sx = region.x + x;
      const al = a / 255;
      const local = unmix.foreground.sample((sx + 0.5) / W, (sy + 0.5) / H, f);
      if (al < 0.3 && !local) continue;
      evalBackground(unmix.backdrop, W > 1 ? sx / (W - 1) : 0.5, H > 1 ? sy / (H - 1) : 0.5, bg);
      const w = local ? clamp01((al - 0.3) / 0.5) : 1;
      for (let c = 0; c < 3; c++) {
        const solved = clamp255((out[o + c] - (1 - al) * bg[3 + c]) / Math.max(al, 0.3));
        out[o + c] = Math.round(w * solved + (1 - w) * (local ? f[c] : solved));
      }
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
