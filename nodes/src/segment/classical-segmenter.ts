import sharp from 'sharp';
import { fitBackground, rowPolynomials, type BackgroundModel } from '../image/background-model';
import { rgbToLab } from '../image/lab';
import { boxCount, floodFromBorder, labelComponents } from '../image/mask-ops';
import { ForegroundColour } from '../image/foreground-colour';
import { BAND_CELLS, refineInBand } from './band-refine';
import { upsampleAndRefine } from './edge-refine';
import { graphCutMatte } from './graph-cut-matte';
import type { RawImage } from '../image/raw-image';

/**
 * Model-free product segmentation for photos on a plain backdrop.
 * 1. On a reduced copy: fit a smooth backdrop model to the border, score every pixel by its Lab
 *    distance to it (darkening without a colour change — a shadow — is discounted), threshold
 *    above the border's noise floor, flood the backdrop from the border so product pixels that
 *    resemble the backdrop but are enclosed stay product, keep the main components, reopen
 *    see-through holes (a mug handle).
 * 2. At full resolution, only in the narrow band around the upscaled edge: alpha matting by
 *    projecting each pixel onto the line from the backdrop colour to the local product colour.
 */

export interface ClassicalOptions {
  /** 0..1: higher keeps fainter product parts (and more backdrop noise). */
  sensitivity: number;
  /** 0..1: how much neutral darkening of the backdrop still counts as shadow, as a share of its lightness. */
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
  /** Backdrop model (normalised coordinates), for decontamination. */
  backdrop: BackgroundModel;
  stats: { pass: 'plain-backdrop' | 'graph-cut'; threshold: number; noise: number; analysisWidth: number; analysisHeight: number; productFraction: number; strayShare: number; cut?: CutConfidence };
}

/** The graph-cut pass's own confidence figures (the trust check reads them). */
export interface CutConfidence {
  /** Colour-model separability of the final cut (0.5 = chance, 1 = every pixel's colour says its side). */
  separability: number;
  /** IoU of the cut with the same cut on a grid of another size: a sound cut barely moves, a guess does. */
  stability: number;
}

export class NoProductError extends Error {}

export async function classicalMatte(img: RawImage, opts: ClassicalOptions): Promise<Matte> {
  const a = await analyse(img, opts);
  if (a.fg && plainBackdropTrusted(a)) return finish(img, a, a.fg, 'plain-backdrop', a.strayShare);
  const cut = refineByGraphCut(a);
  if (!cut) throw new NoProductError('no product found: nothing stands out from the backdrop');
  // Where the smooth backdrop model fits, what stands out from it but was left out still counts:
  // the cut may have missed product parts it never labelled (dark parts on a pale half).
  const leftOut = backdropFits(a.model) ? strayPixels(cut.mask, a.dist, a.threshold) / Math.max(1, countSet(cut.mask)) : 0;
  const outline = cut.peeled ? await refinePeeledInDetail(img, a, cut.mask) : undefined;
  return finish(img, a, cut.mask, 'graph-cut', Math.max(cut.strayShare, leftOut), cut.confidence, outline);
}

/**
 * The matte as it was before the graph-cut refinement: the smooth backdrop model alone. Kept for
 * the bench, which reports the refinement's gain on real photos against it.
 */
export async function plainBackdropMatte(img: RawImage, opts: ClassicalOptions): Promise<Matte> {
  const a = await analyse(img, opts);
  if (!a.fg) throw new NoProductError('no product found: nothing stands out from the backdrop');
  return finish(img, a, a.fg, 'plain-backdrop', a.strayShare);
}

interface Analysis {
  small: Uint8Array;
  aw: number;
  ah: number;
  model: BackgroundModel;
  dist: Float32Array;
  threshold: number;
  /** The plain-backdrop product mask, null when nothing stood out. */
  fg: Uint8Array | null;
  strayShare: number;
}

async function analyse(img: RawImage, opts: ClassicalOptions): Promise<Analysis> {
  const { width: W, height: H } = img;
  const side = opts.analysisSide ?? 512;
  const scale = Math.min(1, side / Math.max(W, H));
  const aw = Math.max(1, Math.round(W * scale));
  const ah = Math.max(1, Math.round(H * scale));
  const small = await reduce(img, aw, ah);
  const n = aw * ah;

  const model = fitBackground(small, 3, aw, ah);
  const dist = distanceToBackdrop(small, model, aw, ah, opts.shadowTolerance);
  const threshold = chooseThreshold(model.noise, opts.sensitivity);

  // Each pixel loop lives in its own small function: V8 optimises a loop it is in the middle of
  // (on-stack replacement) far better in a small function, which matters for the first jobs.
  const backdrop = floodFromBorder(below(dist, threshold), aw, ah);
  let fg: Uint8Array | null = majority(invert(backdrop), aw, ah);
  fg = keepMainComponents(fg, aw, ah);
  if (opts.holes === 'auto') reopenHoles(fg, dist, threshold, model.noise, aw, ah);

  const area = countSet(fg);
  let strayShare = 1;
  if (area < Math.max(4, n * 0.001)) fg = null;
  else strayShare = strayPixels(fg, dist, threshold) / area;
  return { small, aw, ah, model, dist, threshold, fg, strayShare };
}

/**
 * The smooth backdrop model explains the photo: few pixels stand out from it outside the product,
 * and the product does not run along the frame (a backdrop the model mistook for product).
 */
function plainBackdropTrusted(a: Analysis): boolean {
  return a.model.noise <= PLAIN_NOISE && a.strayShare <= PLAIN_STRAY_SHARE && frameContact(a.fg!, a.aw, a.ah) <= PLAIN_FRAME_CONTACT;
}

/** Backdrop noise (Lab) of a plain backdrop; cloth, wood and foliage are well above it. */
const PLAIN_NOISE = 10;
/** At most 6 % on generated photos on plain backdrops; real photos on cloth or wood start near 20 %. */
const PLAIN_STRAY_SHARE = 0.1;
/** A product may touch the frame (a cropped box), but not run along a large part of it. */
const PLAIN_FRAME_CONTACT = 0.25;
/** Longest side of the graph-cut grid. */
const CUT_SIDE = 160;

/** Graph-cut segmentation on a copy at most CUT_SIDE long, upsampled to the analysis size; null when it found nothing. */
function refineByGraphCut(a: Analysis): { mask: Uint8Array; strayShare: number; confidence: CutConfidence; peeled: boolean } | null {
  const steps = luminanceSteps(a.small, a.aw, a.ah);
  const main = cutAt(a, steps, CUT_SIDE, true);
  if (!main) return null;
  // The second opinion leaves props in: a prop dropped by the main cut alone lowers the stability, erring on the side of doubt.
  const second = cutAt(a, steps, STABILITY_SIDE, false);
  // Both grids' coarse masks: the figure compares like with like, before the band refinement.
  const stability = second ? maskIoU01(main.mask, second.mask) : 0;
  const mask = refineFinely(a, steps, main.mask, main.cell, main.peeled);
  return { mask, strayShare: main.strayShare, confidence: { separability: main.separability, stability }, peeled: main.peeled };
}

/** A product mask (0/1) at a size of its own. */
interface SizedMask {
  mask: Uint8Array;
  width: number;
  height: number;
}

/**
 * After a peel, the outline cut again on a copy up to twice the analysis copy's size: leaf tips
 * and the strips of cloth between leaves are only a few analysis pixels wide. Two band cuts in
 * bands of DETAIL_BAND_CELL analysis pixels' cells: the analysis cut's outline is good to a few of its pixels,
 * close enough for colour models fitted locally (band-refine.ts). Then cuts only around what the
 * last cut added, while it adds: a leaf tip goes on past the band its outline drew.
 */
async function refinePeeledInDetail(img: RawImage, a: Analysis, mask: Uint8Array): Promise<SizedMask> {
  const width = Math.min(img.width, 2 * a.aw), height = Math.min(img.height, 2 * a.ah);
  const rgb = await reduce(img, width, height);
  const steps = luminanceSteps(rgb, width, height);
  const cell = DETAIL_BAND_CELL * Math.max(1, Math.round(width / a.aw));
  const cutBand = (coarse: Uint8Array, region?: Uint8Array) => refineInBand({ rgb, width, height, steps, coarse, cell, peeled: true, local: true, region });
  let before = cutBand(enlargeMask(mask, a.aw, a.ah, width, height));
  let after = cutBand(before);
  for (let round = 0; round < MAX_EXTENSIONS; round++) {
    const around = aroundAdditions(before, after, width, height, cell);
    if (!around) break;
    [before, after] = [after, cutBand(after, around)];
  }
  return { mask: after, width, height };
}

/** The detail band cut's cell, in analysis pixels. */
const DETAIL_BAND_CELL = 2;
/** At most this many cuts around a growing outline (the aloe's stops growing after five). */
const MAX_EXTENSIONS = 8;

/**
 * The pixels within a band's half-width of those `after` added to `before`, or null when it added
 * fewer than the square of that half-width: the outline stopped growing (a growing tip adds more).
 */
function aroundAdditions(before: Uint8Array, after: Uint8Array, w: number, h: number, cell: number): Uint8Array | null {
  const added = new Uint8Array(after.length);
  let count = 0;
  for (let i = 0; i < after.length; i++) if (after[i] && !before[i]) (added[i] = 1), count++;
  if (count < (BAND_CELLS * cell) ** 2) return null;
  const near = boxCount(added, w, h, BAND_CELLS * cell);
  const around = new Uint8Array(after.length);
  for (let i = 0; i < after.length; i++) around[i] = near[i] ? 1 : 0;
  return around;
}

/**
 * The coarse cut's outline cut again at a finer scale (band-refine.ts). From grid cells of
 * HALVED_FROM_CELL px it runs on 2×2 blocks: a quarter of the pixels to cut (the CPU budget at
 * 2048 px), still twice the grid's resolution, and as good on the real photos as single pixels.
 * An outline peeled off a printed cloth is cut on single pixels (it runs along thin leaves the
 * blocks would halve), and once more around the outline that cut drew: the peel's outline is far
 * from the product's in places, and the first band ends where its cut went on.
 */
function refineFinely(a: Analysis, steps: Float32Array, coarse: Uint8Array, cell: number, peeled: boolean): Uint8Array {
  const atFullSize = (mask: Uint8Array) => refineInBand({ rgb: a.small, width: a.aw, height: a.ah, steps, coarse: mask, cell, peeled });
  if (peeled) return atFullSize(atFullSize(coarse));
  if (cell < HALVED_FROM_CELL) return atFullSize(coarse);
  const fw = Math.floor(a.aw / 2), fh = Math.floor(a.ah / 2);
  const rgb = shrinkRgb(a.small, a.aw, fw, fh, 2);
  const halved = shrinkMask(coarse, a.aw, fw, fh, 2);
  const refined = refineInBand({ rgb, width: fw, height: fh, steps: blockMeans(steps, a.aw, fw, fh, 2), coarse: halved, cell: cell / 2, peeled: false });
  // Only the blocks the band cut relabelled change: elsewhere the coarse outline stays as it was.
  const out = coarse.slice();
  for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) {
    const k = y * fw + x;
    if (refined[k] === halved[k]) continue;
    const i = 2 * y * a.aw + 2 * x;
    out[i] = out[i + 1] = out[i + a.aw] = out[i + a.aw + 1] = refined[k];
  }
  return out;
}

const HALVED_FROM_CELL = 4;

/** Longest side of the second, smaller cut grid the stability figure compares against. */
const STABILITY_SIDE = 112;

function maskIoU01(a: Uint8Array, b: Uint8Array): number {
  let both = 0, either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return either ? both / either : 1;
}

function cutAt(a: Analysis, steps: Float32Array, side: number, dropProps: boolean): { mask: Uint8Array; cell: number; strayShare: number; separability: number; peeled: boolean } | null {
  const f = Math.max(1, Math.ceil(Math.max(a.aw, a.ah) / side));
  const cw = Math.max(1, Math.floor(a.aw / f)), ch = Math.max(1, Math.floor(a.ah / f));
  const rgb = shrinkRgb(a.small, a.aw, cw, ch, f);
  const evidence = backdropFits(a.model) ? shrinkEvidence(a.dist, a.threshold, a.aw, cw, ch, f) : null;
  const initial = a.fg ? shrinkMask(a.fg, a.aw, cw, ch, f) : null;
  const texture = blockMeans(steps, a.aw, cw, ch, f);
  const result = graphCutMatte({ rgb, width: cw, height: ch, texture, backdropEvidence: evidence, initial, dropProps });
  if (result.productFraction < 0.002) return null;
  return { mask: enlargeMask(result.mask, cw, ch, a.aw, a.ah), cell: f, strayShare: result.strayShare, separability: result.separability, peeled: result.peeled };
}

/** Whether the smooth model fits the border well enough to speak about the inside (plain or gently lit backdrops). */
function backdropFits(m: BackgroundModel): boolean {
  return m.inliers >= 0.6 * m.samples && m.noise < 12;
}

/** `outline`: the product's outline cut at a finer size than the analysis copy, when it was. */
function finish(img: RawImage, a: Analysis, fg: Uint8Array, pass: 'plain-backdrop' | 'graph-cut', strayShare: number, cut?: CutConfidence, outline?: SizedMask): Matte {
  const { aw, ah, small, model } = a;
  const edge = outline ?? { mask: fg, width: aw, height: ah };
  // Soft coarse mask: its ramp (5 pixels) is the band refined at full resolution. A 3-pixel ramp scored
  // the same on the real photos and left wood-grain teeth along a saucer's rim.
  const soft = softMask(edge.mask, edge.width, edge.height);
  const foreground = ForegroundColour.estimate(small, fg, aw, ah);
  // The graph cut's edges lie on a backdrop the smooth model may not describe: no matting against it there.
  const behindEdge = pass === 'plain-backdrop' || backdropFits(model) ? model : null;
  const alpha = upsampleAndRefine(img, soft, edge.width, edge.height, behindEdge, foreground);
  const area = countSet(fg);
  return {
    alpha,
    foreground,
    backdrop: model,
    stats: {
      pass,
      threshold: a.threshold,
      noise: model.noise,
      analysisWidth: aw,
      analysisHeight: ah,
      productFraction: area / (aw * ah),
      strayShare,
      ...(cut ? { cut } : {}),
    },
  };
}

/** Share of the frame's outermost pixels that are product. */
function frameContact(mask: Uint8Array, w: number, h: number): number {
  let on = 0;
  for (let x = 0; x < w; x++) on += mask[x] + mask[(h - 1) * w + x];
  for (let y = 1; y < h - 1; y++) on += mask[y * w] + mask[y * w + w - 1];
  return on / Math.max(1, 2 * w + 2 * (h - 2));
}

/** f×f block means of an RGB plane. */
function shrinkRgb(rgb: Uint8Array, w: number, cw: number, ch: number, f: number): Uint8Array {
  const out = new Uint8Array(cw * ch * 3);
  const k = f * f;
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    let r = 0, g = 0, b = 0;
    for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) {
      const q = ((y * f + dy) * w + x * f + dx) * 3;
      r += rgb[q];
      g += rgb[q + 1];
      b += rgb[q + 2];
    }
    const o = (y * cw + x) * 3;
    out[o] = (r + (k >> 1)) / k;
    out[o + 1] = (g + (k >> 1)) / k;
    out[o + 2] = (b + (k >> 1)) / k;
  }
  return out;
}

/**
 * Texture of the analysis copy: the luminance step from each pixel to its lower neighbour, and the
 * mean of its steps to the left and to the right (a step to one side only would give a mirrored photo
 * another texture). Its block means are the graph-cut grid's texture: the grid's own block means
 * smooth a cloth's print away; measured here it still tells patterned cloth from a smooth leaf, and a
 * speckled pot from a smooth coat of the same colour.
 */
function luminanceSteps(rgb: Uint8Array, w: number, h: number): Float32Array {
  const steps = new Float32Array(w * h);
  // Two rows of luminance at a time: this row and the one below (the last row is its own below).
  let row: Float32Array = lumaRow(rgb, 0, w, new Float32Array(w)), below: Float32Array = new Float32Array(w);
  for (let y = 0; y < h; y++) {
    below = y + 1 < h ? lumaRow(rgb, y + 1, w, below) : row;
    for (let x = 0; x < w; x++) {
      const l = row[x];
      steps[y * w + x] = 0.5 * (Math.abs(l - row[x > 0 ? x - 1 : x]) + Math.abs(l - row[x + 1 < w ? x + 1 : x])) + Math.abs(l - below[x]);
    }
    [row, below] = [below, row];
  }
  return steps;
}

function lumaRow(rgb: Uint8Array, y: number, w: number, out: Float32Array): Float32Array {
  for (let x = 0, i = y * w; x < w; x++, i++) out[x] = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
  return out;
}

/** f×f block means of a plane. */
function blockMeans(plane: Float32Array, w: number, cw: number, ch: number, f: number): Float32Array {
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch * f; y++) {
    const row = ((y / f) | 0) * cw;
    for (let cx = 0, q = y * w; cx < cw; cx++) {
      // Summed at single precision, as adding into the Float32Array pixel by pixel would.
      let sum = out[row + cx];
      for (let dx = 0; dx < f; dx++, q++) sum = Math.fround(sum + plane[q]);
      out[row + cx] = sum;
    }
  }
  const k = f * f;
  for (let i = 0; i < out.length; i++) out[i] /= k;
  return out;
}

/** f×f block means of the backdrop distance, as 0..1 evidence of product (1 well above the threshold). */
function shrinkEvidence(dist: Float32Array, threshold: number, w: number, cw: number, ch: number, f: number): Float32Array {
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    let s = 0;
    for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += dist[(y * f + dy) * w + x * f + dx];
    const ratio = s / (f * f) / threshold;
    out[y * cw + x] = ratio <= 0.5 ? 0 : ratio >= 2 ? 1 : (ratio - 0.5) / 1.5;
  }
  return out;
}

function shrinkMask(mask: Uint8Array, w: number, cw: number, ch: number, f: number): Uint8Array {
  const out = new Uint8Array(cw * ch);
  const half = (f * f) / 2;
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    let s = 0;
    for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += mask[(y * f + dy) * w + x * f + dx];
    out[y * cw + x] = s >= half ? 1 : 0;
  }
  return out;
}

/** Bilinear enlargement of a 0/1 mask, thresholded at one half (smooth outlines, no blocks). */
function enlargeMask(mask: Uint8Array, cw: number, ch: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  // The columns' source cells and weights are the same on every row; the columns between one pair of
  // cells are a run (span[x0] up to span[x0 + 1]).
  const left = new Int32Array(w), right = new Int32Array(w), across = new Float64Array(w), span = new Int32Array(cw + 1).fill(w);
  for (let x = w - 1; x >= 0; x--) {
    const fx = Math.min(Math.max(((x + 0.5) * cw) / w - 0.5, 0), cw - 1);
    left[x] = fx | 0, right[x] = Math.min(left[x] + 1, cw - 1), across[x] = fx - left[x];
    span[left[x]] = x;
  }
  for (let x0 = cw - 1; x0 >= 0; x0--) span[x0] = Math.min(span[x0], span[x0 + 1]);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * ch) / h - 0.5, 0), ch - 1);
    const y0 = fy | 0, y1 = Math.min(y0 + 1, ch - 1), ty = fy - y0;
    const upper = y0 * cw, lower = y1 * cw, row = y * w;
    for (let x0 = 0; x0 < cw; x0++) {
      const x1 = Math.min(x0 + 1, cw - 1);
      const a = mask[upper + x0], b = mask[upper + x1], c = mask[lower + x0], d = mask[lower + x1];
      // Away from the outline all four cells agree.
      if (a === b && c === d && a === c) {
        out.fill(a, row + span[x0], row + span[x0 + 1]);
        continue;
      }
      for (let x = span[x0]; x < span[x0 + 1]; x++) {
        const top = a + (b - a) * across[x], bottom = c + (d - c) * across[x];
        out[row + x] = top + (bottom - top) * ty >= 0.5 ? 1 : 0;
      }
    }
  }
  return out;
}

/**
 * Pixels that stand out from the backdrop yet were left out of the product (specks, and pieces too
 * small beside the main one): few on a plain backdrop, many when the matte broke the product apart
 * or the backdrop is busy.
 */
function strayPixels(fg: Uint8Array, dist: Float32Array, threshold: number): number {
  let stray = 0;
  for (let i = 0; i < fg.length; i++) if (!fg[i] && dist[i] >= threshold) stray++;
  return stray;
}

function below(dist: Float32Array, threshold: number): Uint8Array {
  const out = new Uint8Array(dist.length);
  for (let i = 0; i < dist.length; i++) out[i] = dist[i] < threshold ? 1 : 0;
  return out;
}

function invert(mask: Uint8Array): Uint8Array {
  for (let i = 0; i < mask.length; i++) mask[i] ^= 1;
  return mask;
}

function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

/** 5×5 box average of a 0/1 mask, as 0..255. */
function softMask(fg: Uint8Array, w: number, h: number): Uint8Array {
  const counts = boxCount(fg, w, h, 2);
  const soft = new Uint8Array(fg.length);
  for (let i = 0; i < fg.length; i++) soft[i] = (counts[i] * 255 + 12) / 25;
  return soft;
}

async function reduce(img: RawImage, aw: number, ah: number): Promise<Uint8Array> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  if (img.channels === 4 || img.channels === 2) s = s.removeAlpha();
  if (aw !== img.width || ah !== img.height) s = s.resize(aw, ah, { fit: 'fill', kernel: 'cubic' });
  return s.toColourspace('srgb').raw().toBuffer();
}

/**
 * Lab distance to the backdrop model. Darkening is discounted up to a share of the backdrop's
 * lightness (a shadow keeps hue and chroma); brightening and colour changes count in full.
 */
export function distanceToBackdrop(rgb: Uint8Array, m: BackgroundModel, w: number, h: number, shadowTolerance: number): Float32Array {
  const out = new Float32Array(w * h);
  const poly = new Float64Array(18);
  const lab = new Float64Array(3);
  for (let y = 0; y < h; y++) {
    rowPolynomials(m, h > 1 ? y / (h - 1) : 0.5, poly);
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const u = w > 1 ? (2 * x) / (w - 1) - 1 : 0;
      const bL = poly[0] + u * (poly[1] + u * poly[2]);
      const ba = poly[3] + u * (poly[4] + u * poly[5]);
      const bb = poly[6] + u * (poly[7] + u * poly[8]);
      rgbToLab(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], lab);
      const dL = lab[0] - bL, da = lab[1] - ba, db = lab[2] - bb;
      const allow = shadowTolerance * bL;
      const lum = dL >= 0 ? dL : -dL > allow ? -dL - allow + 0.1 * allow : -0.1 * dL;
      out[i] = Math.sqrt(lum * lum + da * da + db * db);
    }
  }
  return out;
}

/** A threshold above the backdrop's own noise floor; sensitivity 0.5 leaves it as computed. */
export function chooseThreshold(noise: number, sensitivity: number): number {
  const base = Math.max(4, 2.5 * noise + 2);
  return base * (1.6 - 1.2 * Math.min(1, Math.max(0, sensitivity)));
}

/** 3×3 majority vote: removes one-pixel specks and bridges, fills one-pixel notches. */
function majority(mask: Uint8Array, w: number, h: number): Uint8Array {
  const c = boxCount(mask, w, h, 1);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = c[i] >= 5 ? 1 : 0;
  return out;
}

/** Keeps the largest component and any other at least 5% of its size (pairs, multi-part sets). */
function keepMainComponents(mask: Uint8Array, w: number, h: number): Uint8Array {
  const { labels, areas } = labelComponents(mask, w, h);
  let largest = 0;
  for (const a of areas) if (a > largest) largest = a;
  const minArea = Math.max(largest * 0.05, mask.length * 0.0005);
  for (let i = 0; i < mask.length; i++) mask[i] = labels[i] && areas[labels[i]] >= minArea ? 1 : 0;
  return mask;
}

/**
 * Enclosed backdrop-like pockets stay product by default (a white label on a bottle); a pocket
 * that is sizeable and as close to the backdrop as its border noise is a see-through hole.
 */
function reopenHoles(fg: Uint8Array, dist: Float32Array, threshold: number, noise: number, w: number, h: number): void {
  const pocket = pockets(fg, dist, threshold);
  const { labels, areas } = labelComponents(pocket, w, h);
  if (areas.length === 1) return;
  const sums = sumsById(labels, dist, areas.length);
  const level = Math.max(1.5 * noise, 0.5 * threshold);
  const minArea = Math.max(16, countSet(fg) * 0.003);
  const open = new Uint8Array(areas.length);
  for (let id = 1; id < areas.length; id++) open[id] = areas[id] >= minArea && sums[id] / areas[id] < level && !enclosesIslands(labels, id, w, h) ? 1 : 0;
  clearWhere(fg, labels, open);
}

/**
 * Whether pocket `id` surrounds pixels that are not part of it (a logo on a pale label): a
 * see-through hole shows only backdrop, a printed label carries its print inside.
 */
function enclosesIslands(labels: Int32Array, id: number, w: number, h: number): boolean {
  let x0 = w, y0 = h, x1 = -1, y1 = -1, area = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== id) continue;
    const x = i % w, y = (i - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    area++;
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const passable = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) passable[y * bw + x] = labels[(y0 + y) * w + x0 + x] === id ? 0 : 1;
  const outside = floodFromBorder(passable, bw, bh);
  let enclosed = 0;
  for (let i = 0; i < passable.length; i++) if (passable[i] && !outside[i]) enclosed++;
  return enclosed > Math.max(4, 0.01 * area);
}

function pockets(fg: Uint8Array, dist: Float32Array, threshold: number): Uint8Array {
  const out = new Uint8Array(fg.length);
  for (let i = 0; i < fg.length; i++) out[i] = fg[i] && dist[i] < threshold ? 1 : 0;
  return out;
}

function sumsById(labels: Int32Array, values: Float32Array, ids: number): Float64Array {
  const sums = new Float64Array(ids);
  for (let i = 0; i < labels.length; i++) if (labels[i]) sums[labels[i]] += values[i];
  return sums;
}

function clearWhere(mask: Uint8Array, labels: Int32Array, clear: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) if (clear[labels[i]]) mask[i] = 0;
}

