import { boxBlur, boxCount } from '../image/mask-ops';
import { kthSmallest, quartileClasses } from '../image/quickselect';
import { rgbToLab } from '../image/lab';
import { MaxFlow } from './max-flow';
import { labPlane } from './colour-gmm';
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
  /** The coarse cut is what a peel left of a cut that wrapped the product in a printed cloth (inner-backdrop.ts). */
  peeled: boolean;
  /**
   * Colour models fitted per tile around the band pixels (localCosts): after a peel, once its outline
   * is close. On the analysis copy the peeled outline is still far off in places and local models learn its mistakes.
   */
  local?: boolean;
  /** Only the band pixels inside this region (0/1) are cut; elsewhere the coarse label stays. */
  region?: Uint8Array;
}

/** Half-width of the band around the coarse outline, in coarse cells. */
export const BAND_CELLS = 3;
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

/** How the band cut weighs its terms. */
interface Weights {
  /** Nats a band pixel pays for leaving its coarse label (COARSE_LEAN). */
  lean: number;
  /** Nats of confirmation that exempt a band pixel from the cut (CONFIRMED). */
  confirmed: number;
  /** Smoothness weight (GrabCut's γ). */
  gamma: number;
  /** Whether the colour models see hue and chroma only, not lightness. */
  chromaOnly: boolean;
}

const GRID_OUTLINE: Weights = { lean: COARSE_LEAN, confirmed: CONFIRMED, gamma: GAMMA, chromaOnly: false };
/**
 * A peeled outline (a printed cloth around the product taken away by its appearance clusters on the
 * grid, not by a cut) is a weak hint: every band pixel is cut and the lean is small. The print's own
 * contrast sets the contrast scale so high that the smoothness no longer drops at the product's
 * outline: at full weight it only shortens the outline, cutting thin leaves and tips. The cloth's
 * folds and the shadows cast on it change its lightness, not its hue: the colour models use chroma.
 */
const PEELED_OUTLINE: Weights = { lean: 0.5, confirmed: Infinity, gamma: GAMMA / 4, chromaOnly: true };
/**
 * Local colour models (after a peel, on the detail copy) see lightness again and count for more: the
 * smoothness and the lean weigh a third of the peeled outline's. A fold's or a shadow's change in
 * lightness is local, so a model fitted nearby has it on the right side; the blurred histogram bins
 * give flatter costs than the mixtures the weights were set for (a half to a quarter do as well).
 */
const LOCAL_OUTLINE: Weights = { lean: PEELED_OUTLINE.lean / 3, confirmed: Infinity, gamma: PEELED_OUTLINE.gamma / 3, chromaOnly: false };

/** The coarse mask with the band around its outline cut again at this copy's resolution. */
export function refineInBand(input: BandInput): Uint8Array {
  const { width: w, height: h, coarse, cell } = input;
  const band = outlineBand(coarse, w, h, Math.max(1, Math.round(BAND_CELLS * cell)));
  if (input.region) for (let i = 0; i < band.length; i++) band[i] &= input.region[i];
  const members = indicesOf(band);
  if (!members.length) return coarse;
  const weights = input.local ? LOCAL_OUTLINE : input.peeled ? PEELED_OUTLINE : GRID_OUTLINE;
  const { fg, bg } = input.local ? localCosts(input, members) : bandCosts(input, band, members, weights.chromaOnly);
  const free = uncertain(members, coarse, fg, bg, weights.confirmed);
  const product = cutBand(input, free.members, free.fg, free.bg, weights);
  const out = coarse.slice();
  for (let k = 0; k < free.members.length; k++) out[free.members[k]] = product[k];
  return out;
}

/**
 * Each band pixel's -ln p(colour, texture) as product and as backdrop, from models fitted to a
 * sample of the pixels outside the band (under their coarse labels) and the band itself.
 */
function bandCosts(input: BandInput, band: Uint8Array, members: Int32Array, chromaOnly: boolean): { fg: Float32Array; bg: Float32Array } {
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
    if (chromaOnly) lab[k * 3] = CHROMA_ONLY_LIGHTNESS;
    labels[k] = coarse[i];
  }
  // Texture measured over about half a coarse cell: cloth weave still shows, a leaf's own edge less so.
  const energy = boxBlur(input.steps, w, h, Math.max(1, cell >> 1));
  const texture = textureQuartiles(energy, pixels);
  // No frame weighting: the samples come from the whole photo, not from a border strip. Only the band pixels need costs.
  return colourCosts(lab, texture, labels, new Uint8Array(pixels.length), samples.length);
}

/** The one lightness every pixel gets when the colour models see chroma only. */
const CHROMA_ONLY_LIGHTNESS = 50;

/** Side of a local model's tile, in coarse cells; each band pixel's models are fitted on its tile and the eight around it. */
const LOCAL_TILE_CELLS = 24;
/** Histogram bins of the local models: lightness (0..100), a and b (each over the copy's 0.5th..99.5th percentile), texture quartile. */
const LIGHT_BINS = 12, CHROMA_BINS = 16, TEXTURE_BINS = 4;
const LOCAL_BINS = LIGHT_BINS * CHROMA_BINS * CHROMA_BINS * TEXTURE_BINS;
/** Count added to every histogram bin: a colour neither side shows nearby costs the same on both. */
const BIN_FLOOR = 1e-3;

/**
 * Each band pixel's -ln p(Lab, texture) as product and as backdrop from joint histograms of the
 * pixels (under their coarse labels) of the 3×3 tiles around it. A printed cloth holds many
 * colours, lit and shaded across the photo; near one stretch of outline only a few of them meet the
 * product, and a leaf tip that matches some print colour somewhere still differs from the print beside it.
 */
function localCosts(input: BandInput, members: Int32Array): { fg: Float32Array; bg: Float32Array } {
  const { rgb, width: w, height: h, coarse, cell } = input;
  const colour = colourBinsOf(rgb, w * h);
  const texture = textureLevel(input, members);
  const bin = (i: number) => colour[i] * TEXTURE_BINS + texture(i);
  const tile = Math.max(8, LOCAL_TILE_CELLS * cell);
  const tx = Math.ceil(w / tile), ty = Math.ceil(h / tile);
  const byTile: number[][] = Array.from({ length: tx * ty }, () => []);
  for (let k = 0; k < members.length; k++) {
    const i = members[k], x = i % w, y = (i - x) / w;
    byTile[((y / tile) | 0) * tx + ((x / tile) | 0)].push(k);
  }
  // Only the tiles with band pixels and their neighbours are counted (a cut around a leaf tip needs a few).
  const slot = new Int32Array(tx * ty).fill(-1);
  let slots = 0;
  for (let t = 0; t < byTile.length; t++) {
    if (!byTile[t].length) continue;
    const cx = t % tx, cy = (t - cx) / tx;
    for (let ny = Math.max(0, cy - 1); ny <= Math.min(ty - 1, cy + 1); ny++) for (let nx = Math.max(0, cx - 1); nx <= Math.min(tx - 1, cx + 1); nx++) if (slot[ny * tx + nx] < 0) slot[ny * tx + nx] = slots++;
  }
  // Per counted tile and side (backdrop 0, product 1): the histogram of its own pixels.
  const counts = new Uint16Array(slots * 2 * LOCAL_BINS);
  for (let y = 0; y < h; y++) {
    const row = ((y / tile) | 0) * tx;
    for (let cx = 0; cx < tx; cx++) {
      const s = slot[row + cx];
      if (s < 0) continue;
      for (let x = cx * tile, end = Math.min(w, x + tile); x < end; x++) {
        const i = y * w + x;
        counts[(s * 2 + coarse[i]) * LOCAL_BINS + bin(i)]++;
      }
    }
  }
  const fg = new Float32Array(members.length), bg = new Float32Array(members.length);
  const hist = new Float32Array(LOCAL_BINS), scratch = new Float32Array(LOCAL_BINS);
  for (let t = 0; t < byTile.length; t++) {
    if (!byTile[t].length) continue;
    const cx = t % tx, cy = (t - cx) / tx;
    for (let side = 0; side < 2; side++) {
      hist.fill(0);
      for (let ny = Math.max(0, cy - 1); ny <= Math.min(ty - 1, cy + 1); ny++) for (let nx = Math.max(0, cx - 1); nx <= Math.min(tx - 1, cx + 1); nx++) {
        const base = (slot[ny * tx + nx] * 2 + side) * LOCAL_BINS;
        for (let b = 0; b < LOCAL_BINS; b++) hist[b] += counts[base + b];
      }
      let total = 0;
      for (let b = 0; b < LOCAL_BINS; b++) total += hist[b];
      blurBins(hist, scratch);
      const costs = side ? fg : bg;
      const norm = total + BIN_FLOOR * LOCAL_BINS;
      for (const k of byTile[t]) costs[k] = -Math.log((hist[bin(members[k])] + BIN_FLOOR) / norm);
    }
  }
  return { fg, bg };
}

/** A pixel's texture quartile (0..3), the quartiles taken over the band (as in bandCosts). */
function textureLevel(input: BandInput, members: Int32Array): (i: number) => number {
  const energy = textureEnergy(input.steps, input.width, input.height, Math.max(1, input.cell >> 1));
  const values = new Float32Array(members.length);
  for (let k = 0; k < members.length; k++) values[k] = energy[members[k]];
  const q1 = kthSmallest(values, members.length >> 2), q2 = kthSmallest(values, members.length >> 1), q3 = kthSmallest(values, (3 * members.length) >> 2);
  return (i) => {
    const e = energy[i];
    return e > q3 ? 3 : e > q2 ? 2 : e > q1 ? 1 : 0;
  };
}

/** The step measure averaged over a window, once per copy and radius: the detail passes share it. */
function textureEnergy(steps: Float32Array, w: number, h: number, radius: number): Float32Array {
  const cached = energyCache.get(steps);
  if (cached?.radius === radius) return cached.energy;
  const energy = boxBlur(steps, w, h, radius);
  energyCache.set(steps, { radius, energy });
  return energy;
}

const energyCache = new WeakMap<Float32Array, { radius: number; energy: Float32Array }>();

/** Each pixel's (lightness, a, b) bin of the local histograms, once per copy: the detail passes share it. */
function colourBinsOf(rgb: Uint8Array, n: number): Int32Array {
  let bins = colourBinCache.get(rgb);
  if (!bins) colourBinCache.set(rgb, (bins = colourBins(rgb, n)));
  return bins;
}

const colourBinCache = new WeakMap<Uint8Array, Int32Array>();

function colourBins(rgb: Uint8Array, n: number): Int32Array {
  const lab = labPlane(rgb, n, rgbToLab);
  const [a, b] = [1, 2].map((c) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lab[i * 3 + c];
    const lo = kthSmallest(v, Math.floor(0.005 * n)), hi = kthSmallest(v, Math.floor(0.995 * n));
    return { lo, span: Math.max(1e-3, hi - lo) };
  });
  const level = (v: number, lo: number, span: number, count: number) => Math.min(count - 1, Math.max(0, Math.floor(((v - lo) / span) * count)));
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const L = level(lab[i * 3], 0, 100, LIGHT_BINS), A = level(lab[i * 3 + 1], a.lo, a.span, CHROMA_BINS), B = level(lab[i * 3 + 2], b.lo, b.span, CHROMA_BINS);
    out[i] = (L * CHROMA_BINS + A) * CHROMA_BINS + B;
  }
  return out;
}

/** [1,2,1]/4 along each colour axis of a local histogram, twice (neighbouring colours share counts: light varies), once along texture. */
function blurBins(hist: Float32Array, scratch: Float32Array): void {
  const sizes = [LIGHT_BINS, CHROMA_BINS, CHROMA_BINS, TEXTURE_BINS];
  let stride = LOCAL_BINS;
  for (let axis = 0; axis < sizes.length; axis++) {
    const size = sizes[axis];
    stride /= size;
    for (let pass = 0; pass < (axis < 3 ? 2 : 1); pass++) {
      for (let i = 0; i < LOCAL_BINS; i++) {
        const c = ((i / stride) | 0) % size;
        scratch[i] = (2 * hist[i] + (c > 0 ? hist[i - stride] : hist[i]) + (c < size - 1 ? hist[i + stride] : hist[i])) / 4;
      }
      hist.set(scratch);
    }
  }
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
function cutBand(input: BandInput, members: Int32Array, fg: Float32Array, bg: Float32Array, weights: Weights): Uint8Array {
  const { rgb, width: w, height: h, coarse } = input;
  const node = new Int32Array(w * h).fill(-1);
  for (let k = 0; k < members.length; k++) node[members[k]] = k;
  const beta = contrastScale(rgb, members, w, h);
  const g = new MaxFlow(members.length, members.length * 4);
  for (let k = 0; k < members.length; k++) {
    const wasProduct = coarse[members[k]];
    const asProduct = fg[k] + (wasProduct ? 0 : weights.lean), asBackdrop = bg[k] + (wasProduct ? weights.lean : 0);
    const m = Math.min(asProduct, asBackdrop);
    g.addTerminal(k, Math.round((asBackdrop - m) * SCALE), Math.round((asProduct - m) * SCALE));
  }
  const straight = weights.gamma * SCALE, diagonal = straight / Math.SQRT2;
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
 * The band pixels whose colour does not already confirm their coarse label by `confirmed` nats: the
 * others keep it, as fixed neighbours, which keeps the graph small on a clean outline.
 */
function uncertain(members: Int32Array, coarse: Uint8Array, fg: Float32Array, bg: Float32Array, confirmed: number): { members: Int32Array; fg: Float32Array; bg: Float32Array } {
  const keep = new Uint8Array(members.length);
  let count = 0;
  for (let k = 0; k < members.length; k++) {
    const margin = coarse[members[k]] ? bg[k] - fg[k] : fg[k] - bg[k];
    if (margin < confirmed) keep[k] = 1, count++;
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
