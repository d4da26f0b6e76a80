import sharp from 'sharp';
import { evalBackground, fitBackground, type BackgroundModel } from './background-model';
import { toLabPlanes, type LabPlanes } from './lab';
import { boxBlur, floodFromBorder, labelComponents } from './mask-ops';
import { ForegroundColour } from './foreground-colour';
import type { RawImage } from './raw-image';

/**
 * Model-free product segmentation for photos on a plain backdrop.
 * 1. On a reduced copy: fit a smooth backdrop model to the border (Lab), score every pixel by its
 *    distance to it (darkening without a colour change — a shadow — counts weakly), threshold
 *    above the border's noise floor, flood the backdrop from the border so product pixels that
 *    resemble the backdrop but are enclosed stay product, keep the main components, reopen
 *    see-through holes (a mug handle).
 * 2. At full resolution, only in the narrow band around the upscaled edge: alpha matting by
 *    projecting each pixel onto the line between the backdrop colour and the local product colour.
 */

export interface ClassicalOptions {
  /** 0..1: higher keeps fainter product parts (and more backdrop noise). */
  sensitivity: number;
  /** 0..1: how much darkening of the backdrop is still a shadow rather than product. */
  shadowTolerance: number;
  /** auto: enclosed regions that look exactly like the backdrop become transparent; fill: keep all. */
  holes: 'auto' | 'fill';
  /** Longest side of the reduced analysis copy. */
  analysisSide?: number;
}

export interface Matte {
  /** Full-resolution alpha, one byte per pixel. */
  alpha: Uint8Array;
  /** Local product colour near the edge, for decontaminating semi-transparent pixels. */
  foreground: ForegroundColour;
  stats: { threshold: number; noise: number; analysisWidth: number; analysisHeight: number; productFraction: number };
}

export class NoProductError extends Error {}

export async function classicalMatte(img: RawImage, opts: ClassicalOptions): Promise<Matte> {
  const { width: W, height: H } = img;
  const side = opts.analysisSide ?? 640;
  const scale = Math.min(1, side / Math.max(W, H));
  const aw = Math.max(1, Math.round(W * scale));
  const ah = Math.max(1, Math.round(H * scale));
  const small = await reduce(img, aw, ah);
  const n = aw * ah;

  const lab = toLabPlanes(small, n, 3);
  const model = fitBackground(lab, small, 3, aw, ah);
  const dist = distanceToBackdrop(lab, model, aw, ah, opts.shadowTolerance);
  const threshold = chooseThreshold(dist, model.noise, opts.sensitivity);

  const backdropLike = new Uint8Array(n);
  for (let i = 0; i < n; i++) backdropLike[i] = dist[i] < threshold ? 1 : 0;
  const backdrop = floodFromBorder(backdropLike, aw, ah);
  let fg: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) fg[i] = backdrop[i] ? 0 : 1;
  fg = majority(fg, aw, ah);
  fg = keepMainComponents(fg, aw, ah);
  if (opts.holes === 'auto') reopenHoles(fg, dist, threshold, model.noise, aw, ah);

  let area = 0;
  for (let i = 0; i < n; i++) area += fg[i];
  if (area < Math.max(4, n * 0.001)) throw new NoProductError('no product found: nothing stands out from the backdrop');

  // Soft coarse mask: the blur radius sets the width of the band refined at full resolution.
  const fgF = new Float32Array(n);
  for (let i = 0; i < n; i++) fgF[i] = fg[i];
  const soft = boxBlur(fgF, aw, ah, 2);
  const softU8 = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) softU8[i] = Math.round(soft[i] * 255);
  const foreground = ForegroundColour.estimate(small, fg, aw, ah);

  const prior: Uint8Array = scale < 1
    ? await sharp(softU8, { raw: { width: aw, height: ah, channels: 1 } }).resize(W, H, { fit: 'fill', kernel: 'linear' }).toColourspace('b-w').raw().toBuffer()
    : softU8;
  const alpha = refineBand(img, prior, model, foreground);
  return { alpha, foreground, stats: { threshold, noise: model.noise, analysisWidth: aw, analysisHeight: ah, productFraction: area / n } };
}

async function reduce(img: RawImage, aw: number, ah: number): Promise<Uint8Array> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.channels === 4 || img.channels === 2) s = s.removeAlpha();
  if (aw !== img.width || ah !== img.height) s = s.resize(aw, ah, { fit: 'fill', kernel: 'cubic' });
  return s.toColourspace('srgb').raw().toBuffer();
}

/**
 * Distance in Lab to the backdrop model. Darkening is discounted up to a share of the backdrop's
 * lightness (shadows keep hue and chroma); brightening and colour changes count in full.
 */
export function distanceToBackdrop(lab: LabPlanes, m: BackgroundModel, w: number, h: number, shadowTolerance: number): Float32Array {
  const out = new Float32Array(w * h);
  const bg = new Float64Array(6);
  for (let y = 0; y < h; y++) {
    const v = h > 1 ? y / (h - 1) : 0.5;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      evalBackground(m, w > 1 ? x / (w - 1) : 0.5, v, bg);
      const dL = lab.L[i] - bg[0];
      const da = lab.a[i] - bg[1];
      const db = lab.b[i] - bg[2];
      const allow = shadowTolerance * bg[0];
      const lum = dL >= 0 ? dL : Math.max(0, -dL - allow) + 0.1 * Math.min(-dL, allow);
      out[i] = Math.sqrt(lum * lum + da * da + db * db);
    }
  }
  return out;
}

/** A threshold above the backdrop's own noise; sensitivity scales it (0.5 = as computed). */
export function chooseThreshold(dist: Float32Array, noise: number, sensitivity: number): number {
  const base = Math.max(4, 2.5 * noise + 2);
  return base * (1.6 - 1.2 * Math.min(1, Math.max(0, sensitivity)));
}

/** 3×3 majority vote: removes one-pixel specks and bridges, fills one-pixel notches. */
function majority(mask: Uint8Array, w: number, h: number): Uint8Array {
  const f = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) f[i] = mask[i];
  const b = boxBlur(f, w, h, 1);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = b[i] > 0.5 ? 1 : 0;
  return out;
}

/** Keeps the largest component and any other at least 5% of its size (pairs, multi-part sets). */
function keepMainComponents(mask: Uint8Array, w: number, h: number): Uint8Array {
  const { labels, areas } = labelComponents(mask, w, h);
  const largest = Math.max(0, ...areas);
  const minArea = Math.max(largest * 0.05, mask.length * 0.0005);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = labels[i] && areas[labels[i]] >= minArea ? 1 : 0;
  return out;
}

/**
 * Enclosed backdrop-like pockets are product by default (a white label on a bottle); a pocket
 * that is sizeable and as close to the backdrop as the border noise is a see-through hole.
 */
function reopenHoles(fg: Uint8Array, dist: Float32Array, threshold: number, noise: number, w: number, h: number): void {
  const pocket = new Uint8Array(fg.length);
  let fgArea = 0;
  for (let i = 0; i < fg.length; i++) {
    fgArea += fg[i];
    pocket[i] = fg[i] && dist[i] < threshold ? 1 : 0;
  }
  const { labels, areas } = labelComponents(pocket, w, h);
  const sums = new Float64Array(areas.length);
  for (let i = 0; i < fg.length; i++) if (labels[i]) sums[labels[i]] += dist[i];
  const level = Math.max(1.5 * noise, 0.5 * threshold);
  const minArea = Math.max(16, fgArea * 0.003);
  for (let i = 0; i < fg.length; i++) {
    const id = labels[i];
    if (id && areas[id] >= minArea && sums[id] / areas[id] < level) fg[i] = 0;
  }
}

/**
 * Full-resolution alpha. Outside the band the coarse prior is already 0 or 255. Inside, the pixel
 * is projected onto the backdrop→product colour line; the prior bounds the result near the band
 * edges so detail inside the product (a label at the edge) cannot punch holes.
 */
function refineBand(img: RawImage, prior: Uint8Array, m: BackgroundModel, fgc: ForegroundColour): Uint8Array {
  const { width: W, height: H, channels: C, data } = img;
  const alpha = new Uint8Array(W * H);
  const bg = new Float64Array(6);
  const f = new Float64Array(4);
  for (let i = 0; i < alpha.length; i++) {
    const a0 = prior[i];
    if (a0 === 0 || a0 === 255) {
      alpha[i] = a0;
      continue;
    }
    const x = i % W, y = (i - x) / W;
    evalBackground(m, W > 1 ? x / (W - 1) : 0.5, H > 1 ? y / (H - 1) : 0.5, bg);
    const p = a0 / 255;
    let a = p;
    if (fgc.sample((x + 0.5) / W, (y + 0.5) / H, f)) {
      const q = i * C;
      const fr = f[0] - bg[3], fg = f[1] - bg[4], fb = f[2] - bg[5];
      const denom = fr * fr + fg * fg + fb * fb;
      const contrast = Math.sqrt(denom);
      if (contrast > 12) {
        const am = ((data[q] - bg[3]) * fr + (data[q + 1] - bg[4]) * fg + (data[q + 2] - bg[5]) * fb) / denom;
        const matte = clamp01((am - 0.15) / 0.7);
        const trust = clamp01((contrast - 12) / 20);
        const lo = clamp01((p - 0.75) / 0.25), hi = clamp01(p / 0.25);
        a = trust * Math.min(hi, Math.max(lo, matte)) + (1 - trust) * p;
      }
    }
    alpha[i] = Math.round(a * 255);
  }
  return alpha;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
