import { boxBlur, boxCount } from '../image/mask-ops';
import { quartileClasses } from '../image/quickselect';
import { rgbToLab } from '../image/lab';
import { MaxFlow } from './max-flow';
import { colourCosts, GAMMA, SCALE } from './graph-cut-matte';

/**
 * Coarse-to-fine refinement of the graph cut. The cut runs on a grid of cells several pixels wide,
 * which cannot hold a thin leaf, a gap between leaves or a leaf tip. This second min-cut runs at a
 * finer scale (the analysis copy, or its half), but only in a band around the coarse outline:
 * outside the band the coarse label stays (a hard constraint, reaching into the band through the
 * smoothness links). Colour models (with the texture term, as in graph-cut-matte.ts) are refitted
 * at this scale under the coarse labels.
 */

export interface BandInput {
  /** The copy to cut (RGB): the analysis copy or a reduction of it. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Per pixel: the luminance step to the right and lower neighbours (the texture measure). */
  steps: Float32Array;
  /** The coarse cut enlarged to this copy's size, 0/1. */
  coarse: Uint8Array;
  /** Side of one coarse grid cell in this copy's pixels. */
  cell: number;
}

/** Half-width of the band around the coarse outline, in coarse cells. */
const BAND_CELLS = 3;
/**
 * Nats a band pixel pays for leaving its coarse label. The coarse cut also weighed the saliency
 * prior, which this cut lacks: without a lean the fine cut snaps to the strongest nearby edge (a
 * saucer's lit rim above its dark underside) and gives up dark product edges against a dark backdrop.
 */
const COARSE_LEAN = 2;
/** About this many pixels outside the band (both sides together) feed the colour models. */
const MODEL_SAMPLE = 3000;
/** Nats by which a band pixel's colour must confirm its coarse label for it to keep that label without a cut. */
const CONFIRMED = 4;

/** The coarse mask with the band around its outline cut again at this copy's resolution. */
export function refineInBand(input: BandInput): Uint8Array {
  const { width: w, height: h, coarse, cell } = input;
  const band = outlineBand(coarse, w, h, Math.max(1, Math.round(BAND_CELLS * cell)));
  const members = indicesOf(band);
  if (!members.length) return coarse;
  const { fg, bg } = bandCosts(input, band, members);
  const free = uncertain(members, coarse, fg, bg);
  const product = cutBand(input, free.members, free.fg, free.bg);
  const out = coarse.slice();
  for (let k = 0; k < free.members.length; k++) out[free.members[k]] = product[k];
  return out;
}

/**
 * Each band pixel's -ln p(colour, texture) as product and as backdrop, from models fitted to a
 * sample of the pixels outside the band (under their coarse labels) and the band itself.
 */
function bandCosts(input: BandInput, band: Uint8Array, members: Int32Array): { fg: Float32Array; bg: Float32Array } {
  const { rgb, width: w, height: h, coarse, cell } = input;
  const samples = modelSample(band, MODEL_SAMPLE);
  // One compact plane: the samples, then the band pixels.
  const pixels = new Int32Array(samples.length + members.length);
  pixels.set(samples);
  pixels.set(members, samples.length);
  const lab = new Float32Array(pixels.length * 3);
  const labels = new Uint8Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) {
    const i = pixels[k];
    rgbToLab(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], lab, k * 3);
    labels[k] = coarse[i];
  }
  // Texture measured over about half a coarse cell: cloth weave still shows, a leaf's own edge less so.
  const energy = boxBlur(input.steps, w, h, Math.max(1, cell >> 1));
  const texture = textureQuartiles(energy, pixels);
  // No frame weighting: the samples come from the whole photo, not from a border strip. Only the band pixels need costs.
  return colourCosts(lab, texture, labels, new Uint8Array(pixels.length), samples.length);
}

/** Pixels with both a product and a backdrop pixel within `radius` (a square window): the coarse outline, widened. */
export function outlineBand(mask: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const product = boxCount(mask, w, h, radius);
  const band = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    // The window clipped by the frame: fewer product pixels than its area means some backdrop.
    const rows = Math.min(y + radius, h - 1) - Math.max(y - radius, 0) + 1;
    for (let x = 0; x < w; x++) {
      const i = y * w + x, area = rows * (Math.min(x + radius, w - 1) - Math.max(x - radius, 0) + 1);
      band[i] = product[i] > 0 && product[i] < area ? 1 : 0;
    }
  }
  return band;
}

function indicesOf(set: Uint8Array): Int32Array {
  let count = 0;
  for (let i = 0; i < set.length; i++) count += set[i];
  const out = new Int32Array(count);
  for (let i = 0, k = 0; i < set.length; i++) if (set[i]) out[k++] = i;
  return out;
}

/** An even stride through the pixels outside the band, whose coarse labels are the sure ones. */
function modelSample(band: Uint8Array, size: number): Int32Array {
  const stride = Math.max(1, Math.floor(band.length / size));
  const out: number[] = [];
  for (let i = 0; i < band.length; i += stride) if (!band[i]) out.push(i);
  return Int32Array.from(out);
}

/**
 * Texture class (0..3, the quartile) of the listed pixels: the step measure averaged over about a
 * coarse cell, the scale at which cloth weave tells from a smooth leaf.
 */
function textureQuartiles(energy: Float32Array, pixels: Int32Array): Uint8Array {
  const values = new Float32Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) values[k] = energy[pixels[k]];
  return quartileClasses(values).classes;
}

/**
 * Min-cut over the uncertain band pixels (source = product), 8-neighbourhood with contrast-sensitive
 * smoothness and the lean towards the coarse label. A link to a pixel outside the graph becomes a
 * terminal capacity towards that pixel's fixed coarse label.
 */
function cutBand(input: BandInput, members: Int32Array, fg: Float32Array, bg: Float32Array): Uint8Array {
  const { rgb, width: w, height: h, coarse } = input;
  const node = new Int32Array(w * h).fill(-1);
  for (let k = 0; k < members.length; k++) node[members[k]] = k;
  const beta = contrastScale(rgb, members, w, h);
  const g = new MaxFlow(members.length, members.length * 4);
  for (let k = 0; k < members.length; k++) {
    const wasProduct = coarse[members[k]];
    const asProduct = fg[k] + (wasProduct ? 0 : COARSE_LEAN), asBackdrop = bg[k] + (wasProduct ? COARSE_LEAN : 0);
    const m = Math.min(asProduct, asBackdrop);
    g.addTerminal(k, Math.round((asBackdrop - m) * SCALE), Math.round((asProduct - m) * SCALE));
  }
  const straight = GAMMA * SCALE, diagonal = straight / Math.SQRT2;
  for (let k = 0; k < members.length; k++) {
    const i = members[k], x = i % w, y = (i - x) / w;
    for (let o = 0; o < NEIGHBOURS; o++) {
      const nx = x + DX[o], ny = y + DY[o];
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      const j = ny * w + nx;
      const inner = node[j] >= 0;
      // A link inside the graph is added once, from the pixel it leads forward from.
      if (inner && !FORWARD[o]) continue;
      const cap = Math.round((DX[o] && DY[o] ? diagonal : straight) * Math.exp(-beta * colourStep(rgb, i, j)));
      if (!cap) continue;
      if (inner) g.addEdge(k, node[j], cap, cap);
      else if (coarse[j]) g.addTerminal(k, cap, 0);
      else g.addTerminal(k, 0, cap);
    }
  }
  g.solve();
  const out = new Uint8Array(members.length);
  for (let k = 0; k < members.length; k++) out[k] = g.onSourceSide(k) ? 1 : 0;
  g.release();
  return out;
}

/**
 * The band pixels whose colour does not already confirm their coarse label by CONFIRMED nats: the
 * others keep it, as fixed neighbours, which keeps the graph small on a clean outline.
 */
function uncertain(members: Int32Array, coarse: Uint8Array, fg: Float32Array, bg: Float32Array): { members: Int32Array; fg: Float32Array; bg: Float32Array } {
  const keep = new Uint8Array(members.length);
  let count = 0;
  for (let k = 0; k < members.length; k++) {
    const margin = coarse[members[k]] ? bg[k] - fg[k] : fg[k] - bg[k];
    if (margin < CONFIRMED) keep[k] = 1, count++;
  }
  const out = { members: new Int32Array(count), fg: new Float32Array(count), bg: new Float32Array(count) };
  for (let k = 0, j = 0; k < members.length; k++) if (keep[k]) {
    out.members[j] = members[k];
    out.fg[j] = fg[k];
    out.bg[j++] = bg[k];
  }
  return out;
}

/** The 8-neighbourhood; the first four lead forward (right, and the three below). */
const NEIGHBOURS = 8;
const DX = Int8Array.of(1, -1, 0, 1, -1, 1, 0, -1);
const DY = Int8Array.of(0, 1, 1, 1, 0, -1, -1, -1);
const FORWARD = Uint8Array.of(1, 1, 1, 1, 0, 0, 0, 0);

function colourStep(rgb: Uint8Array, i: number, j: number): number {
  const dr = rgb[i * 3] - rgb[j * 3], dg = rgb[i * 3 + 1] - rgb[j * 3 + 1], db = rgb[i * 3 + 2] - rgb[j * 3 + 2];
  return dr * dr + dg * dg + db * db;
}

/** GrabCut's β = 1 / (2·mean squared neighbour difference), measured over the band. */
function contrastScale(rgb: Uint8Array, members: Int32Array, w: number, h: number): number {
  let sum = 0, count = 0;
  for (let k = 0; k < members.length; k++) {
    const i = members[k], x = i % w;
    if (x + 1 < w) {
      sum += colourStep(rgb, i, i + 1);
      count++;
    }
    if (i + w < w * h) {
      sum += colourStep(rgb, i, i + w);
      count++;
    }
  }
  return 1 / (2 * Math.max(1, sum / Math.max(1, count)));
}
