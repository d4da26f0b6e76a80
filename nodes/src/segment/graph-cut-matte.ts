import { boxBlur, labelComponents, floodFromBorder } from '../image/mask-ops';
import { MaxFlow } from './max-flow';
import { kthSmallest, quartileClasses } from '../image/quickselect';
import { ColourGmm, labPlane } from './colour-gmm';
import { rgbToLab } from '../image/lab';
import { findInnerBackdrop, peelIsBetter } from './inner-backdrop';

/**
 * GrabCut-style product/backdrop separation on a small copy of the photo, for backdrops the smooth
 * border model cannot explain (wood, cloth, foliage, clutter):
 * 1. A product prior per pixel (saliency): how rare its colour is along the border, how high a
 *    barrier separates it from the border (minimum barrier distance), what the smooth backdrop
 *    model says where it fits, and a centre prior (sellers frame the product).
 * 2. GrabCut's rectangle around the salient part nearest the centre (Otsu level); outside it is
 *    backdrop. Alternately fit colour models (Gaussian mixtures in Lab, colour-gmm.ts, with a
 *    texture-class histogram beside each) to product and backdrop (frame pixels that are not salient are backdrop for certain,
 *    unless the product reaches the frame along a wide stretch and continues into it) and cut the grid by min-cut with
 *    contrast-sensitive smoothness (8-neighbourhood); widen the rectangle once where the product presses against it.
 * 3. Product vs prop: keep the component nearest the centre and parts of comparable size; drop a prop
 *    the product touches (a part of one colour along its outline that a cut without it leaves out cleanly);
 *    fill enclosed holes unless they look like backdrop (a see-through handle).
 * 4. When the colour models barely tell the sides apart, the cut may have kept a backdrop that wraps
 *    the product (a printed cloth behind a plant): inner-backdrop.ts peels it off.
 */

export interface CutInput {
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Per pixel: luminance texture measured at a finer scale than the grid (cloth weave, wood grain, speckle). */
  texture: Float32Array;
  /** Per pixel 0..1: how much the smooth backdrop model (with its shadow discount) says "product"; null when it does not fit. */
  backdropEvidence: Float32Array | null;
  /** The plain-backdrop matte's product mask (0/1) when it found one. */
  initial: Uint8Array | null;
  /** Whether to look for a prop the product touches (dropJoinedProps): a cut again, too dear for a second opinion. */
  dropProps: boolean;
}

export interface CutResult {
  /** 0/1 product mask at the input size. */
  mask: Uint8Array;
  /** Share of the frame that is product. */
  productFraction: number;
  /** Whether a printed backdrop the first cut wrapped the product in was peeled off (inner-backdrop.ts). */
  peeled: boolean;
  /** Parts the cut marked as product but the product-vs-prop decision left out, as a share of the product. */
  strayShare: number;
  /** Share of the product's outline on the frame's border (a product cut by the frame, or no backdrop at all). */
  borderContact: number;
  iterations: number;
  /**
   * How well the colour models the final cut was made with tell its two sides apart: the share of
   * pixels (product and backdrop weighted equally) whose colour alone is likelier under their own side's model.
   */
  separability: number;
}

const BITS = 4;
const LEVELS = 1 << BITS;
/** Colour bins × 2: smooth or textured neighbourhood. */
const BINS = LEVELS * LEVELS * LEVELS * 2;
/** Energies (nats) → integer capacities. */
export const SCALE = 16;
/** Smoothness weight (GrabCut's γ). */
export const GAMMA = 40;
/**
 * A constant lean towards product inside the rectangle (nats per pixel): min-cuts favour short
 * outlines and would otherwise shrink onto the strongest inner contour (a cup's rim, the lit half
 * of a fruit) rather than the product's outline.
 */
const BALLOON = 2;
/** Above this share of the rectangle filled with product, the balloon leaked: cut again without it. */
const MAX_FILL = 0.9;
const MAX_ITERATIONS = 2;
/** Below this separability the first cut may have kept a backdrop inside the rectangle as product (inner-backdrop.ts). */
const PEEL_BELOW_SEPARABILITY = 0.75;

/** How often the rectangle may widen where the product presses against it. */
const MAX_GROWS = 1;
/**
 * The rectangle always spans most of the frame: from this share of each side to its mirror. A tight
 * rectangle around the salient part cut products whose dull parts are not salient (a saucer under a
 * cup, the shaded half of a fruit); GrabCut's colour models find the outline within a loose one.
 */
const CENTRE_SPAN = 0.1;
/**
 * Frame pixels whose location prior is below this are backdrop for certain: a table edge or shelf
 * running out of the frame is not the product, while a product cropped by the frame stays salient there.
 */
const FRAME_BACKDROP_PRIOR = 0.5;
/** The rectangle's margin around the salient part, as a share of the longest side. */
const RECT_MARGIN = 0.06;
/** Weight of the location prior against the colour models (nats per nat). */
const PRIOR_WEIGHT = 0.6;
/** How sharply the location prior turns from backdrop to product around the saliency level. */
const PRIOR_SLOPE = 10;
/** Texture classes (quartiles of the texture measure) and their weight against colour in the unary terms. */
const TEXTURE_CLASSES = 4;
const TEXTURE_WEIGHT = 2;
/** A capacity no cut pays: pixels outside the rectangle are backdrop. */
const HARD = 1 << 24;

export function graphCutMatte(input: CutInput): CutResult {
  const { rgb, width: w, height: h } = input;
  const n = w * h;
  const bins = binIndices(rgb, n);
  const texture = textureClasses(bins, input.texture, w, h);
  const lab = labPlane(rgb, n, rgbToLab);
  const strip = Math.max(2, Math.round(0.03 * Math.min(w, h)));
  const border = borderFrame(w, h, strip);
  const prior = productPrior(input, bins, border);

  // GrabCut's rectangle: around the salient part nearest the centre, with a margin; outside is backdrop.
  const level = otsu(prior);
  const salient = new Uint8Array(n);
  for (let i = 0; i < n; i++) salient[i] = prior[i] > level ? 1 : 0;
  const margin = Math.max(3, Math.round(RECT_MARGIN * Math.max(w, h)));
  // Nothing salient (a backdrop as colourful as the product): GrabCut from the middle of the frame alone.
  const rect = boxOf(keepProduct(salient, w, h), w, h, margin) ?? { x0: w >> 1, y0: h >> 1, x1: w >> 1, y1: h >> 1 };
  // Sellers centre the product: the rectangle covers at least the middle of the frame.
  rect.x0 = Math.min(rect.x0, Math.round(w * CENTRE_SPAN)), rect.x1 = Math.max(rect.x1, Math.round(w * (1 - CENTRE_SPAN)));
  rect.y0 = Math.min(rect.y0, Math.round(h * CENTRE_SPAN)), rect.y1 = Math.max(rect.y1, Math.round(h * (1 - CENTRE_SPAN)));
  const location = locationPrior(prior, border, level);
  const links = gridGraph(rgb, w, h);
  const grabCut = (balloon: number) => {
    const r = { ...rect };
    // As in GrabCut, the first product colour model is the whole rectangle's.
    let labels: Uint8Array = rectMask(r, w, h);
    let iterations = 0;
    let frame = { outside: labels, location };
    let costs: Costs | null = null;
    for (let grow = 0; ; grow++) {
      const outside = rectMask(r, w, h);
      for (let i = 0; i < n; i++) outside[i] ^= 1;
      for (let i = 0; i < n; i++) if (border[i] && location[i] < FRAME_BACKDROP_PRIOR) outside[i] = 1;
      for (let k = 0; k < MAX_ITERATIONS; k++, iterations++) {
        costs = colourCosts(lab, texture, labels, border);
        const { fg: fgModel, bg: bgModel } = costs;
        // Once a first cut exists, the product it reaches the frame with may continue into the frame strip.
        frame = k === 0 ? { outside, location } : continueThroughFrame(outside, location, labels, fgModel, bgModel, w, h, strip);
        const next = cut(links, fgModel, bgModel, frame.location, frame.outside, balloon);
        const changed = differing(labels, next);
        labels = next;
        if (changed < n * 0.003) break;
      }
      // A product pressed against a side of the rectangle that is not the frame's was cut short there: widen that side.
      if (grow >= MAX_GROWS || !widen(r, keepProduct(labels, w, h), w, h, margin)) break;
    }
    return { final: { labels, costs: costs! }, iterations, fill: rectFill(labels, r, w), balloon, frame };
  };
  let run = grabCut(BALLOON);
  // Ballooned into the backdrop: the cut fills the rectangle instead of following an outline.
  if (run.fill > MAX_FILL) {
    const tight = grabCut(0);
    run = { ...tight, iterations: run.iterations + tight.iterations };
  }
  // The final cut's terms, with colour models fitted to other labels.
  const recut = (seed: Uint8Array): Cut => {
    const costs = colourCosts(lab, texture, seed, border);
    return { labels: cut(links, costs.fg, costs.bg, run.frame.location, run.frame.outside, run.balloon), costs };
  };
  const final = input.dropProps ? dropJoinedProps(run.final, lab, texture, border, recut, w, h) : run.final;
  // Judged with the colour models the final cut was made with: GrabCut's own, no refit needed.
  const first = settle(final.labels, final.costs);
  // GrabCut's classic failure shows as colour models that barely tell the sides apart. The peeled cut's
  // models are fitted to its labels: the first cut's are refitted to its own to compare like with like.
  const peeled = first.separability < PEEL_BELOW_SEPARABILITY ? peelInnerBackdrop(settle(final.labels, colourCosts(lab, texture, final.labels, border))) : null;
  const { mask, separability, dropped } = peeled ?? first;
  links.release();
  const area = countSet(mask);
  return { mask, productFraction: area / n, peeled: peeled !== null, strayShare: dropped / Math.max(1, area), borderContact: borderShare(mask, w, h), iterations: run.iterations, separability };

  /** The product-vs-prop decision, filled holes and the separability of a cut's labels under the given colour costs. */
  function settle(labels: Uint8Array, costs: Costs): Settled {
    const { fg: fgModel, bg: bgModel } = costs;
    const kept = keepProduct(labels, w, h);
    const mask = fillHoles(kept, fgModel, bgModel, w, h);
    return { mask, separability: colourSeparability(mask, fgModel, bgModel), dropped: countSet(labels) - countSet(kept) };
  }

  /** The first cut without a backdrop it wraps the product in (inner-backdrop.ts), when that is clearly better. */
  function peelInnerBackdrop(cut: Settled): Settled | null {
    const inner = findInnerBackdrop({ lab, texture, width: w, height: h }, cut.mask);
    if (!inner) return null;
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) labels[i] = cut.mask[i] & (inner[i] ^ 1);
    const peeled = settle(labels, colourCosts(lab, texture, labels, border));
    return peelIsBetter(cut, peeled, w, h) ? peeled : null;
  }
}

/** Per-pixel colour costs as product (fg) and as backdrop (bg), from colourCosts(). */
export interface Costs {
  fg: Float32Array;
  bg: Float32Array;
}

/** A cut's labels and the colour costs it was made with. */
interface Cut {
  labels: Uint8Array;
  costs: Costs;
}

interface Settled {
  mask: Uint8Array;
  separability: number;
  /** Pixels the product-vs-prop decision left out. */
  dropped: number;
}

function binIndices(rgb: Uint8Array, n: number): Uint16Array {
  const out = new Uint16Array(n);
  const s = 8 - BITS;
  for (let i = 0; i < n; i++) out[i] = ((rgb[i * 3] >> s) << (2 * BITS)) | ((rgb[i * 3 + 1] >> s) << BITS) | (rgb[i * 3 + 2] >> s);
  return out;
}

/**
 * Splits every colour bin by texture: whether the pixel's neighbourhood (3×3) is more textured than
 * the photo's median. Cloth weave and wood grain are then told from a smooth product of the same
 * colour, and a product's shaded side from the shadowed backdrop beside it. Returns each pixel's
 * texture class (its quartile), which the unary terms use beside colour.
 */
function textureClasses(bins: Uint16Array, texture: Float32Array, w: number, h: number): Uint8Array {
  const n = w * h;
  const energy = boxBlur(texture, w, h, 1);
  const { classes, median } = quartileClasses(energy);
  const top = LEVELS * LEVELS * LEVELS;
  for (let i = 0; i < n; i++) if (energy[i] > median) bins[i] += top;
  return classes;
}

function borderFrame(w: number, h: number, strip: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x < strip || y < strip || x >= w - strip || y >= h - strip) out[y * w + x] = 1;
  return out;
}

/**
 * Probability of product per pixel before any colour model of the product exists. Colour rarity
 * along the border is the saliency: a backdrop's texture repeats along the frame, the product's
 * colours do not. The smooth backdrop model's evidence and the plain matte are used where present.
 */
function productPrior(input: CutInput, bins: Uint16Array, border: Uint8Array): Float32Array {
  const { width: w, height: h, backdropEvidence, initial } = input;
  const n = w * h;
  const borderHist = new Float32Array(BINS);
  let borderCount = 0;
  for (let i = 0; i < n; i++) if (border[i]) {
    borderHist[bins[i]]++;
    borderCount++;
  }
  const smooth = blurHistogram(borderHist);
  const barrier = barrierSaliency(input.rgb, w, h);
  // A colour is "backdrop" when the border holds it at least a quarter as often as a uniform spread would.
  const common = (0.25 * borderCount) / BINS;
  const prior = new Float32Array(n);
  // The centre prior is separable: a Gaussian per column times one per row.
  const columnPrior = new Float64Array(w);
  for (let x = 0; x < w; x++) columnPrior[x] = Math.exp(-(((x + 0.5) / w - 0.5) ** 2) / (2 * 0.3 * 0.3));
  for (let y = 0; y < h; y++) {
    const rowPrior = Math.exp(-(((y + 0.5) / h - 0.5) ** 2) / (2 * 0.3 * 0.3));
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const centre = columnPrior[x] * rowPrior;
      const rarity = 1 / (1 + smooth[bins[i]] / common);
      let p = (0.5 * rarity + 0.5 * barrier[i]) * (0.35 + 0.65 * centre);
      if (backdropEvidence) p = 0.5 * p + 0.5 * backdropEvidence[i] * (0.5 + 0.5 * centre);
      if (initial) p = 0.8 * p + 0.2 * initial[i];
      if (border[i]) p *= 0.5;
      prior[i] = p;
    }
  }
  return prior;
}

/** The saliency prior as a probability centred on its Otsu level; the border frame leans backdrop. */
function locationPrior(prior: Float32Array, border: Uint8Array, level: number): Float32Array {
  const out = new Float32Array(prior.length);
  for (let i = 0; i < prior.length; i++) out[i] = (1 / (1 + Math.exp(-PRIOR_SLOPE * (prior[i] - level)))) * (border[i] ? 0.6 : 1);
  return out;
}

/** Otsu's threshold of a 0..1 map (256 levels): the saliency level that best splits product from backdrop. */
function otsu(values: Float32Array): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < values.length; i++) hist[Math.min(255, Math.max(0, Math.round(values[i] * 255)))]++;
  let sum = 0;
  for (let k = 0; k < 256; k++) sum += k * hist[k];
  let wB = 0, sumB = 0, best = 0, bestVar = -1;
  for (let k = 0; k < 256; k++) {
    wB += hist[k];
    if (!wB) continue;
    const wF = values.length - wB;
    if (!wF) break;
    sumB += k * hist[k];
    const mB = sumB / wB, mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > bestVar) {
      bestVar = between;
      best = k;
    }
  }
  return (best + 0.5) / 255;
}

function rectMask(r: Rect, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = r.y0; y <= r.y1; y++) out.fill(1, y * w + r.x0, y * w + r.x1 + 1);
  return out;
}

/** Moves each side of `r` the product touches (within 1 px) outwards by `step`; false when none moved. */
function widen(r: Rect, mask: Uint8Array, w: number, h: number, step: number): boolean {
  let left = 0, right = 0, top = 0, bottom = 0;
  for (let y = r.y0; y <= r.y1; y++) {
    left += mask[y * w + r.x0] | mask[y * w + Math.min(r.x1, r.x0 + 1)];
    right += mask[y * w + r.x1] | mask[y * w + Math.max(r.x0, r.x1 - 1)];
  }
  for (let x = r.x0; x <= r.x1; x++) {
    top += mask[r.y0 * w + x] | mask[Math.min(r.y1, r.y0 + 1) * w + x];
    bottom += mask[r.y1 * w + x] | mask[Math.max(r.y0, r.y1 - 1) * w + x];
  }
  const before = { ...r };
  const touches = (count: number, length: number) => count >= Math.max(2, 0.03 * length);
  if (r.x0 > 0 && touches(left, r.y1 - r.y0)) r.x0 = Math.max(0, r.x0 - step);
  if (r.x1 < w - 1 && touches(right, r.y1 - r.y0)) r.x1 = Math.min(w - 1, r.x1 + step);
  if (r.y0 > 0 && touches(top, r.x1 - r.x0)) r.y0 = Math.max(0, r.y0 - step);
  if (r.y1 < h - 1 && touches(bottom, r.x1 - r.x0)) r.y1 = Math.min(h - 1, r.y1 + step);
  return r.x0 !== before.x0 || r.x1 !== before.x1 || r.y0 !== before.y0 || r.y1 !== before.y1;
}

interface Rect { x0: number; y0: number; x1: number; y1: number }

/** Share of the rectangle that is product. */
function rectFill(mask: Uint8Array, r: Rect, w: number): number {
  let on = 0;
  for (let y = r.y0; y <= r.y1; y++) for (let x = r.x0; x <= r.x1; x++) on += mask[y * w + x];
  return on / ((r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1));
}

function boxOf(mask: Uint8Array, w: number, h: number, margin: number): Rect | null {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (!mask[y * w + x]) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (x1 < 0) return null;
  return { x0: Math.max(0, x0 - margin), y0: Math.max(0, y0 - margin), x1: Math.min(w - 1, x1 + margin), y1: Math.min(h - 1, y1 + margin) };
}

/**
 * Minimum barrier distance to the border (Zhang et al., "Minimum Barrier Salient Object Detection
 * at 80 FPS", ICCV 2015), by raster scans, summed over R, G, B and scaled to 0..1 by its 95th
 * percentile: the least any path to the frame has to climb. A product is walled off from the
 * frame by its outline; a textured backdrop is not, however busy it is.
 */
function barrierSaliency(rgb: Uint8Array, w: number, h: number): Float32Array {
  const n = w * h;
  const total = new Float32Array(n);
  const d = new Float32Array(n), mirrored = new Float32Array(n), v = new Uint8Array(n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) v[i] = rgb[i * 3 + c];
    // Raster scans reach a pixel only by paths that bend their way: a mirrored photo found other
    // paths (another saliency, another GrabCut rectangle). The lower of the scans and their mirror image is the same on both.
    barrierScans(d, v, w, h, 1);
    barrierScans(mirrored, v, w, h, -1);
    for (let i = 0; i < n; i++) total[i] += Math.min(d[i], mirrored[i]);
  }
  const scale = Math.max(1, kthSmallest(Float32Array.from(total), Math.floor(0.95 * (n - 1))));
  for (let i = 0; i < n; i++) total[i] = Math.min(1, total[i] / scale);
  return total;
}

/** Four raster scans, alternately forward and backward; `across` 1 starts each forward scan at the left, -1 at the right. */
function barrierScans(d: Float32Array, v: Uint8Array, w: number, h: number, across: 1 | -1): void {
  const n = w * h;
  const hi = v.slice(), lo = v.slice();
  // The frame's own pixels reach the border with no barrier.
  d.fill(Infinity);
  for (let x = 0; x < w; x++) d[x] = d[n - w + x] = 0;
  for (let y = 0; y < h; y++) d[y * w] = d[y * w + w - 1] = 0;
  for (let pass = 0; pass < 4; pass++) {
    const down = pass % 2 === 0 ? 1 : -1;
    barrierScan(d, hi, lo, v, w, h, (down * across) as 1 | -1, down);
  }
}

/** One raster scan, rows in the order `down` and pixels along a row in the order `along`, each reached from its neighbours already passed. */
function barrierScan(d: Float32Array, hi: Uint8Array, lo: Uint8Array, v: Uint8Array, w: number, h: number, along: 1 | -1, down: 1 | -1): void {
  const vertical = down * w;
  for (let y = down > 0 ? 1 : h - 2; y >= 1 && y <= h - 2; y += down) {
    for (let x = 1, i = y * w + (along > 0 ? 1 : w - 2); x <= w - 2; x++, i += along) {
      const value = v[i];
      let barrier = d[i], top = hi[i], bottom = lo[i];
      // Through the neighbour along the row, then through the one along the column.
      let j = i - along;
      let up = hi[j] > value ? hi[j] : value, low = lo[j] < value ? lo[j] : value;
      if (up - low < barrier) barrier = up - low, top = up, bottom = low;
      j = i - vertical;
      up = hi[j] > value ? hi[j] : value, low = lo[j] < value ? lo[j] : value;
      if (up - low < barrier) barrier = up - low, top = up, bottom = low;
      d[i] = barrier, hi[i] = top, lo[i] = bottom;
    }
  }
}

/** 3×3×3 box blur of each 16³ colour histogram (smooth and textured apart): neighbouring colours share counts (lighting varies). */
function blurHistogram(hist: Float32Array): Float32Array {
  let a: Float32Array = hist, b: Float32Array = new Float32Array(BINS);
  for (let axis = 0; axis < 3; axis++) {
    const stride = axis === 0 ? 1 : axis === 1 ? LEVELS : LEVELS * LEVELS;
    for (let i = 0; i < BINS; i++) {
      const c = ((i / stride) | 0) % LEVELS;
      let s = a[i];
      if (c > 0) s += a[i - stride];
      if (c < LEVELS - 1) s += a[i + stride];
      b[i] = s / 3;
    }
    [a, b] = [b, a];
  }
  return a;
}

/**
 * Per-pixel -ln p(colour, texture | product) and the same for the backdrop under the current labels:
 * colour from the Gaussian mixtures, texture class from each side's histogram (weighted, taken as
 * independent of colour). A leaf the colour of the cloth's print still differs from it in texture.
 * All pixels feed the models; the costs are those of the pixels from index `from` on.
 */
export function colourCosts(lab: Float32Array, texture: Uint8Array, labels: Uint8Array, border: Uint8Array, from = 0): Costs {
  const fgModel = ColourGmm.fit(lab, labels, 1);
  const bgModel = ColourGmm.fit(lab, labels, 0, border);
  const n = labels.length;
  // No pixels of a class yet: a flat cost (an unlikely colour) so the prior decides.
  if (!fgModel || !bgModel) return { fg: fgModel ? fgModel.costs(lab, from) : new Float32Array(n - from).fill(20), bg: bgModel ? bgModel.costs(lab, from) : new Float32Array(n - from).fill(20) };
  const fg = fgModel.costs(lab, from), bg = bgModel.costs(lab, from);
  const fgCount = new Float64Array(TEXTURE_CLASSES).fill(1), bgCount = new Float64Array(TEXTURE_CLASSES).fill(1);
  for (let i = 0; i < n; i++) {
    if (labels[i]) fgCount[texture[i]]++;
    else bgCount[texture[i]]++;
  }
  const fgTotal = fgCount.reduce((a, b) => a + b), bgTotal = bgCount.reduce((a, b) => a + b);
  const fgCost = fgCount.map((c) => -TEXTURE_WEIGHT * Math.log(c / fgTotal)), bgCost = bgCount.map((c) => -TEXTURE_WEIGHT * Math.log(c / bgTotal));
  for (let i = from; i < n; i++) {
    fg[i - from] += fgCost[texture[i]];
    bg[i - from] += bgCost[texture[i]];
  }
  return { fg, bg };
}

/**
 * The grid's links (8-neighbourhood) with GrabCut's contrast-sensitive smoothness γ·exp(−β‖Δc‖²), β
 * from the mean squared neighbour difference. They are the same for every cut of one grid: cut()
 * adds the terminal costs.
 */
function gridGraph(rgb: Uint8Array, w: number, h: number): MaxFlow {
  let sum = 0, count = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (x + 1 < w) {
      sum += squaredStep(rgb, i, i + 1);
      count++;
    }
    if (y + 1 < h) {
      sum += squaredStep(rgb, i, i + w);
      count++;
    }
  }
  const beta = 1 / (2 * Math.max(1, sum / Math.max(1, count)));
  const straight = GAMMA * SCALE, diagonal = (GAMMA * SCALE) / Math.SQRT2;
  const g = new MaxFlow(w * h, w * h * 4);
  // Neighbours in smooth areas repeat the same few small steps: their exp is computed once.
  const smallSteps = new Float64Array(SMALL_STEPS).fill(-1);
  const link = (i: number, j: number, weight: number) => {
    const step = squaredStep(rgb, i, j);
    let contrast = step < SMALL_STEPS ? smallSteps[step] : -1;
    if (contrast < 0) {
      contrast = Math.exp(-beta * step);
      if (step < SMALL_STEPS) smallSteps[step] = contrast;
    }
    const cap = Math.round(weight * contrast);
    if (cap) g.addEdge(i, j, cap, cap);
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (x + 1 < w) link(i, i + 1, straight);
    if (y + 1 < h) {
      link(i, i + w, straight);
      if (x + 1 < w) link(i, i + w + 1, diagonal);
      if (x > 0) link(i, i + w - 1, diagonal);
    }
  }
  return g;
}

/** Squared colour steps below this have their smoothness weight remembered (gridGraph). */
const SMALL_STEPS = 4096;

/** Squared RGB distance between pixels i and j. */
function squaredStep(rgb: Uint8Array, i: number, j: number): number {
  const dr = rgb[i * 3] - rgb[j * 3], dg = rgb[i * 3 + 1] - rgb[j * 3 + 1], db = rgb[i * 3 + 2] - rgb[j * 3 + 2];
  return dr * dr + dg * dg + db * db;
}

/**
 * One min-cut on the grid's links: source = product. A pixel pays its product cost on the sink arc,
 * its backdrop cost on the source arc; outside the rectangle product is ruled out.
 */
function cut(g: MaxFlow, fg: Float32Array, bg: Float32Array, prior: Float32Array, outside: Uint8Array, balloon: number): Uint8Array {
  const n = g.nodes;
  g.reset();
  for (let i = 0; i < n; i++) {
    if (outside[i]) {
      g.addTerminal(i, 0, HARD);
      continue;
    }
    const p = Math.min(0.97, Math.max(0.03, prior[i]));
    const asProduct = fg[i] - PRIOR_WEIGHT * Math.log(p);
    const asBackdrop = bg[i] - PRIOR_WEIGHT * Math.log(1 - p) + balloon;
    const m = Math.min(asProduct, asBackdrop);
    g.addTerminal(i, Math.round((asBackdrop - m) * SCALE), Math.round((asProduct - m) * SCALE));
  }
  g.solve();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = g.onSourceSide(i) ? 1 : 0;
  return out;
}

/**
 * A product cut by the frame: where the cut reaches the frame strip's inner edge along a wide stretch,
 * the strip pixels beyond it (outwards, while their colour is likelier product) are no longer backdrop
 * for certain and take the location prior of the product pixel they continue. A thin part (a stray
 * blade of grass) does not carry the product into the strip.
 */
function continueThroughFrame(
  outside: Uint8Array, location: Float32Array, labels: Uint8Array, fg: Float32Array, bg: Float32Array, w: number, h: number, strip: number,
): { outside: Uint8Array; location: Float32Array } {
  const released = outside.slice(), prior = location.slice();
  const minRun = Math.max(3, Math.round(FRAME_CONTINUATION_RUN * Math.min(w, h)));
  // Each side: its inner edge's first pixel, the step along it, its length, and the step out towards the frame.
  const sides = [
    { start: strip * w, along: 1, length: w, out: -w },
    { start: (h - 1 - strip) * w, along: 1, length: w, out: w },
    { start: strip, along: w, length: h, out: -1 },
    { start: w - 1 - strip, along: w, length: h, out: 1 },
  ];
  // The cut keeps a pixel's distance from the hard backdrop: it reaches the edge when it covers the edge or the pixel within.
  const reachesEdge = (inner: number, out: number) => labels[inner] === 1 || labels[inner - out] === 1;
  for (const side of sides) {
    for (let a = 0; a < side.length; ) {
      const first = a;
      while (a < side.length && reachesEdge(side.start + a * side.along, side.out)) a++;
      if (a - first < minRun) {
        a = Math.max(a, first + 1);
        continue;
      }
      for (let b = first; b < a; b++) {
        const inner = side.start + b * side.along;
        for (let d = 1, q = inner + side.out; d <= strip && fg[q] < bg[q]; d++, q += side.out) {
          released[q] = 0;
          prior[q] = Math.max(prior[q], location[inner]);
        }
      }
    }
  }
  return { outside: released, location: prior };
}

/** The shortest stretch of the frame strip's inner edge, as a share of the frame's short side, through which the product continues into the strip. */
const FRAME_CONTINUATION_RUN = 0.08;

/**
 * A prop joined to the product (a glass behind a plant, touched by its leaves): a part of one colour
 * component of the product's model that lies along the product's outline rather than inside it. Each
 * such part is tried as backdrop: the colour models are refitted with it on the backdrop's side and the
 * grid cut again. A prop then leaves whole while the rest stays; a part of the product itself (the
 * shaded side of a fruit) is pulled back in by the product's other colours and its outline.
 */
function dropJoinedProps(
  first: Cut, lab: Float32Array, texture: Uint8Array, border: Uint8Array, recut: (seed: Uint8Array) => Cut, w: number, h: number,
): Cut {
  const product = keepProduct(first.labels, w, h);
  const model = ColourGmm.fit(lab, product, 1);
  if (!model) return first;
  const components = model.likeliestComponents(lab, (i) => product[i] === 1);
  const area = countSet(product);
  // A part running out of the frame continues the product beyond it (a pot cut by the bottom edge); a prop stands in the scene.
  const candidates = outlineParts(components, product, w, h, PROP_MIN_SHARE * area, PROP_MAX_SHARE * area).filter((p) => !reachesStrip(p.mask, border));
  // Each try is a cut: only the parts lying most along the outline.
  candidates.sort((a, b) => b.onBackdrop - a.onBackdrop);
  let best = first, bestProduct = product, bestSeparability = NaN;
  for (const { mask: part } of candidates.slice(0, PROP_TRIES)) {
    const seed = bestProduct.slice();
    for (let i = 0; i < seed.length; i++) if (part[i]) seed[i] = 0;
    const next = recut(seed);
    const nextProduct = keepProduct(next.labels, w, h);
    if (!separatesCleanly(part, bestProduct, nextProduct)) continue;
    // Fitting the colour models is the dear part: only for a cut that passed the cheap test.
    if (Number.isNaN(bestSeparability)) bestSeparability = separabilityOf(bestProduct, lab, texture, border);
    const separability = separabilityOf(nextProduct, lab, texture, border);
    if (separability >= bestSeparability - PROP_SEPARABILITY_SLACK) {
      best = next;
      bestProduct = nextProduct;
      bestSeparability = separability;
    }
  }
  return best;
}

/** Smallest and largest prop tried, as a share of the product: a larger part is the product's own (the shaded half of a fruit). */
const PROP_MIN_SHARE = 0.01;
const PROP_MAX_SHARE = 0.15;
/** How many parts are tried as props. */
const PROP_TRIES = 1;
/** A part whose outline borders the backdrop for at least this share lies along the product's outline. */
const PROP_OUTLINE_SHARE = 0.25;
/** Share of the prop the cut without it must drop, and share of the rest of the product it must keep. */
const PROP_CLEAN_SHARE = 0.95;
/** How much worse the colours may separate product from backdrop without the prop (the prop's own colours were easy to tell apart). */
const PROP_SEPARABILITY_SLACK = 0.02;

/** Whether the cut `after` dropped nearly all of `part` and kept nearly all the rest of `before`. */
function separatesCleanly(part: Uint8Array, before: Uint8Array, after: Uint8Array): boolean {
  let partSize = 0, partDropped = 0, rest = 0, restKept = 0;
  for (let i = 0; i < part.length; i++) {
    if (part[i]) {
      partSize++;
      partDropped += 1 - after[i];
    } else if (before[i]) {
      rest++;
      restKept += after[i];
    }
  }
  return partDropped >= PROP_CLEAN_SHARE * partSize && restKept >= PROP_CLEAN_SHARE * rest;
}

/**
 * Connected parts of one colour component each (0/1 masks) whose outline borders the backdrop for
 * PROP_OUTLINE_SHARE or more, with that share.
 */
function outlineParts(components: Uint8Array, labels: Uint8Array, w: number, h: number, minArea: number, maxArea: number): Array<{ mask: Uint8Array; onBackdrop: number }> {
  const parts: Array<{ mask: Uint8Array; onBackdrop: number }> = [];
  const n = w * h;
  const ids = new Set(components.filter((c) => c !== 255));
  for (const id of ids) {
    const one = new Uint8Array(n);
    for (let i = 0; i < n; i++) one[i] = components[i] === id ? 1 : 0;
    const { labels: blobs, areas } = labelComponents(one, w, h);
    const onBackdrop = new Float64Array(areas.length), outline = new Float64Array(areas.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, l = blobs[i];
      if (!l || areas[l] < minArea || areas[l] > maxArea) continue;
      for (const j of [x > 0 ? i - 1 : -1, x + 1 < w ? i + 1 : -1, y > 0 ? i - w : -1, y + 1 < h ? i + w : -1]) {
        if (j < 0 || blobs[j] === l) continue;
        outline[l]++;
        if (!labels[j]) onBackdrop[l]++;
      }
    }
    for (let l = 1; l < areas.length; l++) {
      if (areas[l] < minArea || areas[l] > maxArea || onBackdrop[l] < PROP_OUTLINE_SHARE * outline[l]) continue;
      const part = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (blobs[i] === l) part[i] = 1;
      parts.push({ mask: part, onBackdrop: onBackdrop[l] / outline[l] });
    }
  }
  return parts;
}

/** Whether `part` reaches into the frame strip. */
function reachesStrip(part: Uint8Array, border: Uint8Array): boolean {
  for (let i = 0; i < part.length; i++) if (part[i] && border[i]) return true;
  return false;
}

/** colourSeparability of `labels` under colour models fitted to them. */
function separabilityOf(labels: Uint8Array, lab: Float32Array, texture: Uint8Array, border: Uint8Array): number {
  const { fg, bg } = colourCosts(lab, texture, labels, border);
  return colourSeparability(labels, fg, bg);
}

/**
 * The product is the largest part weighted by nearness to the centre; other parts stay when they
 * are at least a fifth of its size (a pair, a set), so a pencil beside an apple or a corner of the
 * table goes.
 */
function keepProduct(mask: Uint8Array, w: number, h: number): Uint8Array {
  const { labels, areas } = labelComponents(mask, w, h);
  if (areas.length <= 1) return mask;
  const sx = new Float64Array(areas.length), sy = new Float64Array(areas.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    sx[l] += i % w;
    sy[l] += (i / w) | 0;
  }
  let best = 0, bestScore = -1;
  const score = new Float64Array(areas.length);
  for (let l = 1; l < areas.length; l++) {
    const dx = sx[l] / areas[l] / w - 0.5, dy = sy[l] / areas[l] / h - 0.5;
    score[l] = areas[l] * Math.exp(-(dx * dx + dy * dy) / (2 * 0.25 * 0.25));
    if (score[l] > bestScore) {
      bestScore = score[l];
      best = l;
    }
  }
  const out = new Uint8Array(mask.length);
  if (!best) return out;
  const minArea = 0.2 * areas[best];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l && (l === best || areas[l] >= minArea)) out[i] = 1;
  }
  return out;
}

/** Enclosed pockets become product unless their colours say backdrop (a see-through handle, a gap between legs). */
function fillHoles(mask: Uint8Array, fg: Float32Array, bg: Float32Array, w: number, h: number): Uint8Array {
  const passable = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) passable[i] = mask[i] ? 0 : 1;
  const outside = floodFromBorder(passable, w, h);
  const pocket = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) pocket[i] = passable[i] && !outside[i] ? 1 : 0;
  const { labels, areas } = labelComponents(pocket, w, h);
  const lean = new Float64Array(areas.length);
  for (let i = 0; i < labels.length; i++) if (labels[i]) lean[labels[i]] += fg[i] - bg[i];
  const out = mask.slice();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l && lean[l] / areas[l] < 1) out[i] = 1;
  }
  return out;
}

function colourSeparability(mask: Uint8Array, fg: Float32Array, bg: Float32Array): number {
  let inRight = 0, inAll = 0, outRight = 0, outAll = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      inAll++;
      if (fg[i] < bg[i]) inRight++;
    } else {
      outAll++;
      if (bg[i] < fg[i]) outRight++;
    }
  }
  return 0.5 * (inRight / Math.max(1, inAll) + outRight / Math.max(1, outAll));
}

function borderShare(mask: Uint8Array, w: number, h: number): number {
  let onBorder = 0, total = 0;
  for (let x = 0; x < w; x++) {
    onBorder += mask[x] + mask[(h - 1) * w + x];
    total += 2;
  }
  for (let y = 1; y < h - 1; y++) {
    onBorder += mask[y * w] + mask[y * w + w - 1];
    total += 2;
  }
  return onBorder / total;
}

function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n;
}

function differing(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
