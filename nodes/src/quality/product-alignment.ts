import sharp from 'sharp';
import type { Rect } from '../image/cutout';
import { boundingBox } from '../image/mask-ops';
import type { RawImage } from '../image/raw-image';

/** Two product crops on the same grid: RGB (3 bytes per pixel) and alpha, w × h each. */
export interface AlignedPair {
  w: number;
  h: number;
  rgb0: Buffer;
  a0: Buffer;
  rgb1: Buffer;
  a1: Buffer;
  /** Candidate px → original px. */
  scale: number;
  /** Original px → grid px, and the original's position of grid pixel 0,0. */
  gridScale: number;
  origin: Point;
  box0: Rect;
  box1: Rect;
  /** How the candidate was put on the grid: from its box, or from the transform the generator recorded. */
  from: 'boxes' | 'placement';
}

/** A transform known beforehand (a generator's placement): where the original's box centre is in the candidate, and the uniform scale. */
export interface KnownTransform {
  /** The original box centre's position in the candidate, candidate px. */
  centre: Point;
  /** Candidate px → original px. */
  scale: number;
}

/**
 * Puts the candidate's product on the original's grid: centres of the product boxes coincide and
 * one uniform scale (the geometric mean of the box ratios) maps sizes, so a stretched or warped
 * product stays stretched after alignment (per-axis box fitting would undo exactly that).
 * With a `known` transform (the placement a generator recorded) its centre and scale are used
 * instead of the boxes; the residual shift search stays either way.
 * Both are resampled so the original's box is at most `workSide` px: the metrics' scale is fixed.
 */
export async function alignProducts(orig: RawImage, alpha0: Uint8Array, cand: RawImage, alpha1: Uint8Array, known?: KnownTransform, workSide = 512): Promise<AlignedPair | null> {
  const box0 = boundingBox(alpha0, orig.width, orig.height, 127);
  const box1 = boundingBox(alpha1, cand.width, cand.height, 127);
  if (!box0 || !box1) return null;
  const margin = Math.round(0.04 * Math.max(box0.width, box0.height));
  const fw = box0.width + 2 * margin, fh = box0.height + 2 * margin;
  // Never compare at the original's own resolution: resampling both sides equally keeps their sharpness comparable.
  const t = Math.min(0.75, workSide / Math.max(fw, fh));
  const w = Math.max(8, Math.round(fw * t)), h = Math.max(8, Math.round(fh * t));
  const scale = known?.scale ?? Math.sqrt((box0.width * box0.height) / (box1.width * box1.height));
  const c0: Point = [box0.x + box0.width / 2, box0.y + box0.height / 2];
  const c1: Point = known?.centre ?? [box1.x + box1.width / 2, box1.y + box1.height / 2];
  const k1 = scale * t;
  const o = await window(orig, alpha0, t, c0, w, h);
  let c = await window(cand, alpha1, k1, c1, w, h);
  // Box centres are only good to a pixel or so; fine detail (print) needs the residual shift removed.
  const d = residualShift(o, c, w, h);
  if (d[0] || d[1]) c = await window(cand, alpha1, k1, [c1[0] + d[0] / k1, c1[1] + d[1] / k1], w, h);
  const origin: Point = [c0[0] - w / 2 / t, c0[1] - h / 2 / t];
  return { w, h, rgb0: o.rgb, a0: o.alpha, rgb1: c.rgb, a1: c.alpha, scale, gridScale: t, origin, box0, box1, from: known ? 'placement' : 'boxes' };
}

export type Point = [number, number];
type Window = { rgb: Buffer; alpha: Buffer };

/**
 * The (sub-pixel) shift d with cand(x + d) ≈ orig(x) over the original's product: the best of the
 * integer shifts within ±3 px by mean-free SSD of luminance, refined by a parabola per axis.
 */
function residualShift(o: Window, c: Window, w: number, h: number): Point {
  const R = 3;
  const n = w * h;
  const y0 = new Float32Array(n), y1 = new Float32Array(n);
  for (let i = 0, q = 0; i < n; i++, q += 3) {
    y0[i] = 0.299 * o.rgb[q] + 0.587 * o.rgb[q + 1] + 0.114 * o.rgb[q + 2];
    y1[i] = 0.299 * c.rgb[q] + 0.587 * c.rgb[q + 1] + 0.114 * c.rgb[q + 2];
  }
  const cost = (dx: number, dy: number): number => {
    let s1 = 0, s2 = 0, m = 0;
    for (let y = R; y < h - R; y++) {
      for (let x = R; x < w - R; x++) {
        const i = y * w + x;
        if (o.alpha[i] < 250) continue;
        const d = y1[i + dy * w + dx] - y0[i];
        s1 += d;
        s2 += d * d;
        m++;
      }
    }
    return m ? s2 / m - (s1 / m) ** 2 : Infinity;
  };
  const costs = new Map<string, number>();
  let best: Point = [0, 0], bestCost = Infinity;
  for (let dy = -R; dy <= R; dy++) {
    for (let dx = -R; dx <= R; dx++) {
      const v = cost(dx, dy);
      costs.set(`${dx},${dy}`, v);
      if (v < bestCost) (bestCost = v), (best = [dx, dy]);
    }
  }
  const at = (dx: number, dy: number) => costs.get(`${dx},${dy}`) ?? cost(dx, dy);
  const vertex = (minus: number, mid: number, plus: number) => {
    const den = minus - 2 * mid + plus;
    return den > 0 ? Math.max(-0.5, Math.min(0.5, (minus - plus) / (2 * den))) : 0;
  };
  const [bx, by] = best;
  return [bx + vertex(at(bx - 1, by), bestCost, at(bx + 1, by)), by + vertex(at(bx, by - 1), bestCost, at(bx, by + 1))];
}

/** The w × h window centred on `c` (source px) of the image scaled by k; outside the image is transparent. */
async function window(img: RawImage, alpha: Uint8Array, k: number, c: Point, w: number, h: number): Promise<Window> {
  const { width: W, height: H } = img;
  // Cut the needed source region first: scaling the whole candidate up could be huge.
  const x0 = clamp(Math.floor(c[0] - w / (2 * k)) - 2, 0, W - 1), x1 = clamp(Math.ceil(c[0] + w / (2 * k)) + 2, x0 + 1, W);
  const y0 = clamp(Math.floor(c[1] - h / (2 * k)) - 2, 0, H - 1), y1 = clamp(Math.ceil(c[1] + h / (2 * k)) + 2, y0 + 1, H);
  const rw = x1 - x0, rh = y1 - y0;
  const rgbIn = Buffer.allocUnsafe(rw * rh * 3), alphaIn = Buffer.allocUnsafe(rw * rh);
  const C = img.channels;
  for (let y = 0, o = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++, o++) {
      const i = (y0 + y) * W + x0 + x, q = i * C;
      rgbIn[o * 3] = img.data[q];
      rgbIn[o * 3 + 1] = C >= 3 ? img.data[q + 1] : img.data[q];
      rgbIn[o * 3 + 2] = C >= 3 ? img.data[q + 2] : img.data[q];
      alphaIn[o] = alpha[i];
    }
  }
  const sw = Math.max(1, Math.round(rw * k)), sh = Math.max(1, Math.round(rh * k));
  // Colour and mask are resized apart: as RGBA, sharp would premultiply and blacken pixels a mask misses.
  const [scaledRgb, scaledAlpha] = await Promise.all([
    sharp(rgbIn, { raw: { width: rw, height: rh, channels: 3 } }).resize(sw, sh, { fit: 'fill' }).raw().toBuffer(),
    sharp(alphaIn, { raw: { width: rw, height: rh, channels: 1 } }).resize(sw, sh, { fit: 'fill' }).extractChannel(0).raw().toBuffer(),
  ]);
  // Bilinear sampling at the exact (fractional) offset: rounding it costs up to half a pixel of alignment.
  const ox = (c[0] - x0) * k - w / 2, oy = (c[1] - y0) * k - h / 2;
  const rgb = Buffer.alloc(w * h * 3), a = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    const sy = y + oy, iy = Math.floor(sy), fy = sy - iy;
    if (iy < 0 || iy + 1 >= sh) continue;
    for (let x = 0; x < w; x++) {
      const sx = x + ox, ix = Math.floor(sx), fx = sx - ix;
      if (ix < 0 || ix + 1 >= sw) continue;
      const p00 = iy * sw + ix, p01 = p00 + 1, p10 = p00 + sw, p11 = p10 + 1;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const d = y * w + x;
      for (let ch = 0; ch < 3; ch++) {
        rgb[d * 3 + ch] = w00 * scaledRgb[p00 * 3 + ch] + w01 * scaledRgb[p01 * 3 + ch] + w10 * scaledRgb[p10 * 3 + ch] + w11 * scaledRgb[p11 * 3 + ch] + 0.5;
      }
      a[d] = w00 * scaledAlpha[p00] + w01 * scaledAlpha[p01] + w10 * scaledAlpha[p10] + w11 * scaledAlpha[p11] + 0.5;
    }
  }
  return { rgb, alpha: a };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
