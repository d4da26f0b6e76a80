import { deltaE2000 } from '../image/ciede2000';
import { rgbToLab } from '../image/lab';
import { boxBlur, boxCount } from '../image/mask-ops';
import type { AlignedPair } from './product-alignment';

export interface FidelityParts {
  /** Mean SSIM of the luminance over the product interior. */
  ssim: number;
  /** Lowest mean SSIM of a tile (~1/8 of the product): a changed logo hides in the global mean. */
  ssimWorstTile: number;
  deltaEMean: number;
  deltaEP95: number;
  /** Agreement of the interior edge maps (1 px tolerance): details, print, seams. */
  edgeIoU: number;
  /** Silhouette IoU after alignment. */
  maskIoU: number;
}

/**
 * The product interior (the original's mask eroded past the SSIM window) is where colour and detail
 * are compared: near the silhouette every pixel mixes in its own backdrop, which is allowed to change.
 */
export function fidelityParts(p: AlignedPair): { parts: FidelityParts; worstTile: { x: number; y: number; width: number; height: number } | null } {
  const { w, h } = p;
  const n = w * h;
  const m0 = new Uint8Array(n), m1 = new Uint8Array(n);
  let inter = 0, union = 0;
  for (let i = 0; i < n; i++) {
    m0[i] = p.a0[i] >= 128 ? 1 : 0;
    m1[i] = p.a1[i] >= 128 ? 1 : 0;
    inter += m0[i] & m1[i];
    union += m0[i] | m1[i];
  }
  // SSIM window (3) + pre-blur (1) + the silhouette's own soft ramp (2).
  const r = 6;
  const full = (2 * r + 1) ** 2;
  const counts = boxCount(m0, w, h, r);
  const interior = new Uint8Array(n);
  for (let i = 0; i < n; i++) interior[i] = counts[i] === full ? 1 : 0;

  const y0 = luma(p.rgb0, n), y1 = luma(p.rgb1, n);
  const ssimMap = ssim(boxBlur(y0, w, h, 1), boxBlur(y1, w, h, 1), w, h);
  const tiles = pooled(ssimMap, interior, w, h);
  const { mean: deMean, p95 } = deltaE(p.rgb0, p.rgb1, interior, w, h);
  return {
    parts: { ssim: tiles.mean, ssimWorstTile: tiles.worst, deltaEMean: deMean, deltaEP95: p95, edgeIoU: edgeAgreement(y0, y1, interior, w, h), maskIoU: union ? inter / union : 1 },
    worstTile: tiles.worstBox,
  };
}

function luma(rgb: Buffer, n: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0, q = 0; i < n; i++, q += 3) y[i] = 0.299 * rgb[q] + 0.587 * rgb[q + 1] + 0.114 * rgb[q + 2];
  return y;
}

/** SSIM map with a 7×7 box window (Wang et al. 2004 constants for 8-bit data). */
function ssim(x: Float32Array, y: Float32Array, w: number, h: number): Float32Array {
  const n = x.length;
  const xx = new Float32Array(n), yy = new Float32Array(n), xy = new Float32Array(n);
  for (let i = 0; i < n; i++) (xx[i] = x[i] * x[i]), (yy[i] = y[i] * y[i]), (xy[i] = x[i] * y[i]);
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((p) => boxBlur(p, w, h, 3));
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = mx[i], b = my[i];
    const vx = sxx[i] - a * a, vy = syy[i] - b * b, cov = sxy[i] - a * b;
    out[i] = ((2 * a * b + C1) * (2 * cov + C2)) / ((a * a + b * b + C1) * (vx + vy + C2));
  }
  return out;
}

/** Mean over the interior, and the worst tile (its box on the aligned grid). */
function pooled(map: Float32Array, interior: Uint8Array, w: number, h: number) {
  const tile = Math.max(16, Math.round(Math.max(w, h) / 8));
  const tx = Math.ceil(w / tile), ty = Math.ceil(h / tile);
  const sums = new Float64Array(tx * ty), counts = new Uint32Array(tx * ty);
  let sum = 0, count = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!interior[i]) continue;
      const t = Math.floor(y / tile) * tx + Math.floor(x / tile);
      sums[t] += map[i];
      counts[t]++;
      sum += map[i];
      count++;
    }
  }
  let worst = 1, at = -1;
  // A tile counts when a quarter of it is product interior; slivers along the edge are too noisy.
  for (let t = 0; t < sums.length; t++) if (counts[t] >= (tile * tile) / 4 && sums[t] / counts[t] < worst) (worst = sums[t] / counts[t]), (at = t);
  const worstBox = at < 0 ? null : { x: (at % tx) * tile, y: Math.floor(at / tx) * tile, width: tile, height: tile };
  return { mean: count ? sum / count : 0, worst, worstBox };
}

/** ΔE00 on lightly blurred images (3×3): resampling and sensor noise are not colour changes. */
function deltaE(rgb0: Buffer, rgb1: Buffer, interior: Uint8Array, w: number, h: number): { mean: number; p95: number } {
  const b0 = boxBlur(Float32Array.from(rgb0), w, h, 1, 3), b1 = boxBlur(Float32Array.from(rgb1), w, h, 1, 3);
  const lab0 = new Float64Array(3), lab1 = new Float64Array(3);
  const values: number[] = [];
  for (let i = 0, q = 0; i < interior.length; i++, q += 3) {
    if (!interior[i]) continue;
    rgbToLab(Math.round(b0[q]), Math.round(b0[q + 1]), Math.round(b0[q + 2]), lab0);
    rgbToLab(Math.round(b1[q]), Math.round(b1[q + 1]), Math.round(b1[q + 2]), lab1);
    values.push(deltaE2000(lab0[0], lab0[1], lab0[2], lab1[0], lab1[1], lab1[2]));
  }
  if (!values.length) return { mean: 100, p95: 100 };
  const sorted = Float64Array.from(values).sort();
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] };
}

/** Sobel edges above a threshold set by the original's own contrast; F1-style overlap with 1 px slack. */
function edgeAgreement(y0: Float32Array, y1: Float32Array, interior: Uint8Array, w: number, h: number): number {
  const g0 = sobel(boxBlur(y0, w, h, 1), w, h), g1 = sobel(boxBlur(y1, w, h, 1), w, h);
  const inside: number[] = [];
  for (let i = 0; i < g0.length; i++) if (interior[i]) inside.push(g0[i]);
  inside.sort((a, b) => a - b);
  const p98 = inside.length ? inside[Math.floor(0.98 * (inside.length - 1))] : 0;
  const T = Math.max(24, 0.35 * p98);
  const e0 = new Uint8Array(g0.length), e1 = new Uint8Array(g0.length);
  let n0 = 0, n1 = 0;
  for (let i = 0; i < g0.length; i++) {
    if (!interior[i]) continue;
    if (g0[i] > T) (e0[i] = 1), n0++;
    if (g1[i] > T) (e1[i] = 1), n1++;
  }
  if (n0 + n1 === 0) return 1;
  const near0 = boxCount(e0, w, h, 1), near1 = boxCount(e1, w, h, 1);
  let matched = 0;
  for (let i = 0; i < g0.length; i++) {
    if (e0[i] && near1[i]) matched++;
    if (e1[i] && near0[i]) matched++;
  }
  return matched / (n0 + n1);
}

function sobel(y: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      const gx = y[i - w + 1] + 2 * y[i + 1] + y[i + w + 1] - y[i - w - 1] - 2 * y[i - 1] - y[i + w - 1];
      const gy = y[i + w - 1] + 2 * y[i + w] + y[i + w + 1] - y[i - w - 1] - 2 * y[i - w] - y[i - w + 1];
      out[i] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}
