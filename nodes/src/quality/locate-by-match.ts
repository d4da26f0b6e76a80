import sharp from 'sharp';
import type { Rect } from '../image/cutout';
import { boundingBox } from '../image/mask-ops';
import { rawInput, type RawImage } from '../image/raw-image';

/** Where the original cut-out's product best matches in the candidate. */
export interface ProductMatch {
  /** What the search ranks by (NCC less a brightness difference). */
  rank: number;
  /** The original's product-box centre in the candidate, candidate px. */
  centre: [number, number];
  /** Candidate px per original px (one uniform scale). */
  scale: number;
  /** Normalised cross-correlation of luminance over the original's product at the best fit, -1..1. */
  ncc: number;
}

/**
 * Finds the original product in a candidate image by masked normalised cross-correlation of
 * luminance: every position and a geometric series of sizes on a ~112 px copy (two peaks per size),
 * the ten best refined on a 224 px copy, the three best of those on a 448 px copy with finer scale
 * steps. Luminance only, so a
 * recoloured product is still found (and then fails on colour); a uniform scale only, so a
 * stretched one is found at its mean size (and then fails on detail).
 */
export async function matchProduct(cand: RawImage, orig: RawImage, origAlpha: Uint8Array): Promise<ProductMatch | null> {
  const box = boundingBox(origAlpha, orig.width, orig.height, 127);
  if (!box) return null;
  const source = await originalPlanes(orig, origAlpha, box);
  const levels = new Map<number, Level>();
  const level = async (side: number) => {
    const L = Math.min(side, Math.max(cand.width, cand.height));
    let lv = levels.get(L);
    if (!lv) levels.set(L, (lv = await candidateLevel(cand, L)));
    return lv;
  };

  const coarse = await level(112);
  const peaks: ProductMatch[] = [];
  const longest = Math.max(box.width, box.height);
  // From 16 % of the frame's longest side: smaller copies of a smooth product match patches of itself.
  for (let side = 18; ; side *= 1.07) {
    const S = side / longest;
    if (Math.round(box.width * S) > coarse.w || Math.round(box.height * S) > coarse.h) break;
    const tpl = await template(source, box, S);
    if (tpl) peaks.push(...scanAll(coarse, tpl, S / coarse.g));
  }
  if (!peaks.length) return null;
  // Coarse ranks only shortlist: the finer copies tell a product from a look-alike.
  let shortlist = peaks.sort((a, b) => b.rank - a.rank).slice(0, 10);
  shortlist = await Promise.all(shortlist.map(async (m) => refine(await level(224), source, box, m, 0.03, 3)));
  let best: ProductMatch | null = null;
  for (let m of shortlist.sort((a, b) => b.rank - a.rank).slice(0, 3)) {
    for (const [step, radius] of [[0.01, 2], [0.004, 1]] as const) m = await refine(await level(448), source, box, m, step, radius);
    if (!best || m.rank > best.rank) best = m;
  }
  return best;
}

interface Level { data: Float32Array; w: number; h: number; g: number }
interface Template { dx: Int32Array; dy: Int32Array; t: Float32Array; tt: number; mean: number; tw: number; th: number }
interface Planes { lum: Buffer; alpha: Buffer; w: number; h: number }

/** The candidate's luminance at `side` px on its longest side; g = level px per candidate px. */
async function candidateLevel(cand: RawImage, side: number): Promise<Level> {
  const g = side / Math.max(cand.width, cand.height);
  const w = Math.max(1, Math.round(cand.width * g)), h = Math.max(1, Math.round(cand.height * g));
  let s = sharp(cand.data, rawInput(cand));
  if (cand.channels === 4 || cand.channels === 2) s = s.removeAlpha();
  const lum = await s.resize(w, h, { fit: 'fill' }).toColourspace('b-w').extractChannel(0).raw().toBuffer();
  return { data: Float32Array.from(lum), w, h, g: w / cand.width };
}

/** The original's product box: luminance and alpha. */
async function originalPlanes(orig: RawImage, alpha: Uint8Array, box: Rect): Promise<Planes> {
  const lum = await sharp(orig.data, rawInput(orig)).removeAlpha().extract({ left: box.x, top: box.y, width: box.width, height: box.height }).toColourspace('b-w').extractChannel(0).raw().toBuffer();
  const a = Buffer.allocUnsafe(box.width * box.height);
  for (let y = 0; y < box.height; y++) a.set(alpha.subarray((box.y + y) * orig.width + box.x, (box.y + y) * orig.width + box.x + box.width), y * box.width);
  return { lum, alpha: a, w: box.width, h: box.height };
}

/** The product at `S` level px per original px: its solid pixels (alpha ≥ 224: edges mix in the original's backdrop), mean-free. */
async function template(src: Planes, box: Rect, S: number): Promise<Template | null> {
  const tw = Math.round(box.width * S), th = Math.round(box.height * S);
  if (tw < 6 || th < 6) return null;
  const [lum, alpha] = await Promise.all([
    sharp(src.lum, { raw: { width: src.w, height: src.h, channels: 1 } }).resize(tw, th, { fit: 'fill' }).extractChannel(0).raw().toBuffer(),
    sharp(src.alpha, { raw: { width: src.w, height: src.h, channels: 1 } }).resize(tw, th, { fit: 'fill' }).extractChannel(0).raw().toBuffer(),
  ]);
  let n = 0, sum = 0;
  for (let i = 0; i < tw * th; i++) if (alpha[i] >= 224) (n++, (sum += lum[i]));
  if (n < 24) return null;
  const mean = sum / n;
  const dx = new Int32Array(n), dy = new Int32Array(n), t = new Float32Array(n);
  let tt = 0;
  for (let y = 0, i = 0, k = 0; y < th; y++) {
    for (let x = 0; x < tw; x++, i++) {
      if (alpha[i] < 224) continue;
      dx[k] = x;
      dy[k] = y;
      t[k] = lum[i] - mean;
      tt += t[k] * t[k];
      k++;
    }
  }
  return tt > 0 ? { dx, dy, t, tt, mean, tw, th } : null;
}

/**
 * NCC of the template with its top-left corner at (px, py) of the level, and the rank peaks are
 * chosen by: the NCC less the brightness difference (NCC alone ignores it, so a brown bag's
 * shading could match the veins of a white marble).
 */
function scoreAt(lv: Level, tpl: Template, px: number, py: number, offsets: Int32Array, out: { ncc: number; rank: number }): void {
  const base = py * lv.w + px, d = lv.data, t = tpl.t, n = t.length;
  let sti = 0, si = 0, sii = 0;
  for (let k = 0; k < n; k++) {
    const v = d[base + offsets[k]];
    sti += t[k] * v;
    si += v;
    sii += v * v;
  }
  const varI = sii - (si * si) / n;
  out.ncc = varI > 1e-6 ? sti / Math.sqrt(tpl.tt * varI) : 0;
  out.rank = out.ncc - Math.abs(si / n - tpl.mean) / 128;
}

function offsetsFor(tpl: Template, w: number): Int32Array {
  const o = new Int32Array(tpl.t.length);
  for (let k = 0; k < o.length; k++) o[k] = tpl.dy[k] * w + tpl.dx[k];
  return o;
}

/** Every position at this size; its two best peaks that are not the same place. */
function scanAll(lv: Level, tpl: Template, k: number): ProductMatch[] {
  const offsets = offsetsFor(tpl, lv.w);
  const s = { ncc: 0, rank: 0 };
  const peaks: ProductMatch[] = [];
  const apart = (0.5 * Math.min(tpl.tw, tpl.th)) / lv.g;
  for (let py = 0; py + tpl.th <= lv.h; py++) {
    for (let px = 0; px + tpl.tw <= lv.w; px++) {
      scoreAt(lv, tpl, px, py, offsets, s);
      if (peaks.length === 2 && s.rank <= peaks[1].rank) continue;
      const centre: [number, number] = [(px + tpl.tw / 2) / lv.g, (py + tpl.th / 2) / lv.g];
      const near = peaks.findIndex((p) => Math.hypot(p.centre[0] - centre[0], p.centre[1] - centre[1]) < apart);
      if (near >= 0) {
        if (peaks[near].rank >= s.rank) continue;
        peaks.splice(near, 1);
      }
      peaks.push({ centre, scale: k, ncc: s.ncc, rank: s.rank });
      peaks.sort((a, b) => b.rank - a.rank);
      if (peaks.length > 2) peaks.length = 2;
    }
  }
  return peaks;
}

/** The best of sizes k·(1+step)^m, m = -2..2, and positions within ±radius level px of the estimate. */
async function refine(lv: Level, src: Planes, box: Rect, m: ProductMatch, step: number, radius: number): Promise<ProductMatch> {
  let best = { ...m, rank: -Infinity };
  const s = { ncc: 0, rank: 0 };
  for (let j = -2; j <= 2; j++) {
    const k = m.scale * (1 + step) ** j;
    const tpl = await template(src, box, k * lv.g);
    if (!tpl || tpl.tw > lv.w || tpl.th > lv.h) continue;
    const offsets = offsetsFor(tpl, lv.w);
    const kx = tpl.tw / box.width / lv.g, ky = tpl.th / box.height / lv.g;
    const x0 = Math.round(m.centre[0] * lv.g - tpl.tw / 2), y0 = Math.round(m.centre[1] * lv.g - tpl.th / 2);
    for (let py = Math.max(0, y0 - radius); py <= Math.min(lv.h - tpl.th, y0 + radius); py++) {
      for (let px = Math.max(0, x0 - radius); px <= Math.min(lv.w - tpl.tw, x0 + radius); px++) {
        scoreAt(lv, tpl, px, py, offsets, s);
        if (s.rank > best.rank) best = { centre: [(px + tpl.tw / 2) / lv.g, (py + tpl.th / 2) / lv.g], scale: Math.sqrt(kx * ky), ncc: s.ncc, rank: s.rank };
      }
    }
  }
  return Number.isFinite(best.rank) ? best : m;
}
