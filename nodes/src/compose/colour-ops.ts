import { labToRgb, rgbToLab } from '../image/lab';
import type { RawImage } from '../image/raw-image';

/** Linear light of an 8-bit sRGB value (IEC 61966-2-1). */
const TO_LINEAR = Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
});

function toSrgb8(linear: number): number {
  const c = linear <= 0 ? 0 : linear >= 1 ? 1 : linear;
  return Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055));
}

export interface BackdropCast {
  /** Median border colour. */
  rgb: [number, number, number];
  /** Its Lab chroma: 0 is neutral grey. */
  chroma: number;
  samples: number;
}

/** The backdrop's colour from a band along the frame border (opaque pixels only), by per-channel median. */
export function measureBackdrop(img: RawImage): BackdropCast | null {
  const { width: W, height: H, channels: C, data } = img;
  const band = Math.max(1, Math.round(0.03 * Math.min(W, H)));
  const hist = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let n = 0;
  const step = Math.max(1, Math.round(Math.sqrt((2 * band * (W + H)) / 20_000))); // ~20k samples is plenty
  for (let y = 0; y < H; y += step) {
    const edgeRow = y < band || y >= H - band;
    for (let x = 0; x < W; x += edgeRow ? step : 1) {
      if (!edgeRow && x >= band && x < W - band) x = W - band;
      const q = (y * W + x) * C;
      if ((C === 4 && data[q + 3] < 250) || (C === 2 && data[q + 1] < 250)) continue;
      for (let c = 0; c < 3; c++) hist[c][data[q + (C >= 3 ? c : 0)]]++;
      n++;
    }
  }
  if (n < 16) return null;
  const rgb = hist.map((h) => median(h, n)) as [number, number, number];
  const lab = new Float64Array(3);
  rgbToLab(rgb[0], rgb[1], rgb[2], lab);
  return { rgb, chroma: Math.hypot(lab[1], lab[2]), samples: n };
}

function median(hist: Uint32Array, n: number): number {
  let acc = 0;
  for (let v = 0; v < 256; v++) if ((acc += hist[v]) >= n / 2) return v;
  return 255;
}

/**
 * Per-channel lookup tables that make `backdrop` neutral at its own luminance (von Kries gains in
 * linear light), so a warm backdrop becomes the same grey, not brighter or darker.
 */
export function whiteBalanceLuts(backdrop: [number, number, number]): { luts: Uint8Array[]; gains: number[] } {
  const lin = backdrop.map((v) => Math.max(TO_LINEAR[v], 1e-4));
  const Y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  const gains = lin.map((l) => Y / l);
  const luts = gains.map((g) => Uint8Array.from({ length: 256 }, (_, v) => toSrgb8(TO_LINEAR[v] * g)));
  return { luts, gains };
}

/** Black and white points from luminance percentiles (0.5% and 99.5%): one stretch for all channels. */
export function levelsLut(img: RawImage, maxGain = 1.6): { lut: Uint8Array; black: number; white: number } | null {
  const { data, channels: C } = img;
  const hist = new Uint32Array(256);
  let n = 0;
  for (let q = 0; q < data.length; q += C) {
    if ((C === 4 && data[q + 3] < 250) || (C === 2 && data[q + 1] < 250)) continue;
    const y = C >= 3 ? (54 * data[q] + 183 * data[q + 1] + 19 * data[q + 2]) >> 8 : data[q];
    hist[y]++;
    n++;
  }
  if (!n) return null;
  const at = (p: number) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) if ((acc += hist[v]) >= p * n) return v;
    return 255;
  };
  const black = Math.min(at(0.005), 24), white = Math.max(at(0.995), 160);
  if (black <= 2 && white >= 253) return null;
  const gain = Math.min(maxGain, 255 / Math.max(1, white - black));
  const lut = Uint8Array.from({ length: 256 }, (_, v) => Math.max(0, Math.min(255, Math.round((v - black) * gain))));
  return { lut, black, white };
}

export function applyLuts(img: RawImage, luts: Uint8Array[]): void {
  const { data, channels: C } = img;
  const colour = C >= 3 ? 3 : 1;
  for (let q = 0; q < data.length; q += C) for (let c = 0; c < colour; c++) data[q + c] = luts[c][data[q + c]];
}

export interface LabStats {
  mean: [number, number, number];
  std: [number, number, number];
  count: number;
}

/**
 * Mean and standard deviation of L, a, b over the pixels whose weight is at least `minWeight`.
 * With `width`, a large region is sampled on a regular grid (about `maxSamples` pixels): these are
 * global statistics, and a hundred thousand samples pin them far below any visible difference.
 */
export function labStats(img: RawImage, weight: Uint8Array, minWeight = 250, width = 0, maxSamples = 131_072): LabStats | null {
  const { data, channels: C } = img;
  let step = 1;
  if (width > 0) {
    const total = countAtLeast(weight, minWeight);
    if (total > 2 * maxSamples) step = Math.max(2, Math.floor(Math.sqrt(total / maxSamples)));
  }
  const acc = new Float64Array(7);
  if (step === 1) labSums(data, C, weight, minWeight, 0, weight.length, 1, acc);
  else {
    const H = Math.floor(weight.length / width);
    for (let y = step >> 1; y < H; y += step) labSums(data, C, weight, minWeight, y * width + (step >> 1), (y + 1) * width, step, acc);
  }
  const n = acc[6];
  if (n < 64) return null;
  const mean = [acc[0] / n, acc[1] / n, acc[2] / n] as [number, number, number];
  const std = [0, 1, 2].map((c) => Math.sqrt(Math.max(0, acc[3 + c] / n - mean[c] * mean[c]))) as [number, number, number];
  return { mean, std, count: n };
}

function countAtLeast(weight: Uint8Array, min: number): number {
  let n = 0;
  for (let i = 0; i < weight.length; i++) n += weight[i] >= min ? 1 : 0;
  return n;
}

function labSums(data: Buffer, C: number, weight: Uint8Array, minWeight: number, from: number, to: number, step: number, acc: Float64Array): void {
  const lab = new Float64Array(3);
  let s0 = 0, s1 = 0, s2 = 0, q0 = 0, q1 = 0, q2 = 0, n = 0;
  for (let i = from; i < to; i += step) {
    if (weight[i] < minWeight) continue;
    const q = i * C;
    rgbToLab(data[q], data[q + 1], data[q + 2], lab);
    const L = lab[0], a = lab[1], b = lab[2];
    s0 += L; s1 += a; s2 += b;
    q0 += L * L; q1 += a * a; q2 += b * b;
    n++;
  }
  acc[0] += s0; acc[1] += s1; acc[2] += s2; acc[3] += q0; acc[4] += q1; acc[5] += q2; acc[6] += n;
}

/**
 * Moves the colour statistics of the weighted pixels to `target` (Reinhard-style transfer in Lab),
 * blended by the weight so the silhouette edge fades into the untouched backdrop.
 */
export function transferLab(img: RawImage, weight: Uint8Array, from: LabStats, target: LabStats): void {
  const { data, channels: C } = img;
  // Contrast ratios are bounded: a near-flat product would otherwise amplify noise without limit.
  const k = from.std.map((s, c) => Math.max(0.5, Math.min(2, (target.std[c] + 1e-3) / (s + 1e-3))));
  const lab = new Float64Array(3);
  // The transfer is a function of the colour alone: a direct-mapped cache of colour → result
  // skips both Lab conversions for the many repeated colours of a product.
  const keys = new Int32Array(CACHE_SIZE).fill(-1);
  const vals = new Uint8Array(CACHE_SIZE * 4);
  const m0 = from.mean[0], m1 = from.mean[1], m2 = from.mean[2];
  const t0 = target.mean[0], t1 = target.mean[1], t2 = target.mean[2];
  const k0 = k[0], k1 = k[1], k2 = k[2];
  for (let i = 0, q = 0; i < weight.length; i++, q += C) {
    const w = weight[i];
    if (!w) continue;
    const r = data[q], g = data[q + 1], b = data[q + 2];
    const key = (r << 16) | (g << 8) | b;
    const slot = (Math.imul(key, 0x9e3779b1) >>> (32 - CACHE_BITS));
    const v = slot * 4;
    if (keys[slot] !== key) {
      rgbToLab(r, g, b, lab);
      labToRgb((lab[0] - m0) * k0 + t0, (lab[1] - m1) * k1 + t1, (lab[2] - m2) * k2 + t2, vals, v);
      keys[slot] = key;
    }
    if (w === 255) {
      data[q] = vals[v];
      data[q + 1] = vals[v + 1];
      data[q + 2] = vals[v + 2];
    } else {
      const a = w / 255;
      data[q] = Math.round(a * vals[v] + (1 - a) * r);
      data[q + 1] = Math.round(a * vals[v + 1] + (1 - a) * g);
      data[q + 2] = Math.round(a * vals[v + 2] + (1 - a) * b);
    }
  }
}

const CACHE_BITS = 18;
const CACHE_SIZE = 1 << CACHE_BITS;
