import { boxCount } from '../image/mask-ops';
import type { LabPlane } from './colour-gmm';

/**
 * GrabCut's classic failure: a backdrop inside the rectangle that does not appear outside it (a
 * printed cloth hung behind a plant, in front of a darker one). The backdrop colour models come
 * from the frame, the first product model from the whole rectangle, so that inner backdrop is never
 * explained as backdrop and stays product.
 *
 * Found here by treating the first cut's own outline as a new frame: one appearance that wraps the
 * rest of the cut (holds most of its outer ring, fills a large share of it, borders most of what it
 * leaves, and is printed where what it leaves is smooth) is a backdrop, not a part of the product.
 * The caller takes it away and keeps the result only when the cut's own measures say it is clearly
 * better (`peelIsBetter`).
 */

/** Appearance clusters of the cut (k-means on Lab and texture class). */
const CLUSTERS = 6;
/**
 * k-means runs until no pixel changes cluster (at most this many rounds): stopped early, its clusters
 * depend on where it started, and a mirrored or re-encoded photo starts elsewhere.
 */
const MAX_KMEANS_ROUNDS = 50;
/** Lab units one texture class (quartile) counts for in the clustering: a print and a smooth leaf of one hue fall apart. */
const TEXTURE_SPREAD = 12;
/** The cut's outer ring, as a share of the grid's shorter side. */
const RING_SHARE = 0.04;
/**
 * A printed cluster: its mean texture class (0..3) is above the middle of the classes, the photo's
 * median texture. The cloth's cream ground reaches it at fine grids; at coarse ones the ground rule below finds it.
 */
const PRINTED = 1.5;
/**
 * The print's ground (the cream between a cloth's motifs): a cluster with at least this share of its
 * pixels within GROUND_REACH of a printed pixel. A smooth product's body lies away from the print.
 */
const GROUND_SHARE = 0.75;
const GROUND_REACH = 2;
/** The wrapping appearance holds at least this share of the cut's outer ring... */
const MIN_RING_SHARE = 0.6;
/** ...fills this share of the cut (a thin rim is the product's own edge; all of it leaves no product)... */
const MIN_AREA_SHARE = 0.3;
const MAX_AREA_SHARE = 0.85;
/** ...borders most of what it leaves (a saucer under a cup borders only its lower half)... */
const MIN_SURROUND = 0.75;
/** ...and is more textured than what it leaves (mean texture class): a print behind a smooth product. */
const MIN_TEXTURE_GAP = 1;

/** A peel must raise the colour models' separability by this much (taking an orange's shaded half away raises it by 0.12)... */
const MIN_SEPARABILITY_GAIN = 0.2;
/** ...leave a product of at least this share of the first cut... */
const MIN_REMAINDER = 0.15;
/** ...which the peeled part borders along most of its outline. */
const MIN_PEEL_SURROUND = 0.6;

export interface InnerBackdropInput {
  lab: LabPlane;
  /** Texture class (quartile, 0..3) per grid pixel. */
  texture: Uint8Array;
  width: number;
  height: number;
}

/** The first cut's pixels (0/1) that look like a backdrop wrapping the product, or null when none does. */
export function findInnerBackdrop(input: InnerBackdropInput, product: Uint8Array): Uint8Array | null {
  const { width: w, height: h, texture } = input;
  const ring = outerRing(product, w, h, Math.max(2, Math.round(RING_SHARE * Math.min(w, h))));
  const cluster = appearanceClusters(input, product);
  const wrapping = wrappingPixels(cluster, product, texture, w, h);
  let cut = 0, inRing = 0, wrapRing = 0, wrapArea = 0, wrapTexture = 0, restTexture = 0;
  for (let i = 0; i < product.length; i++) {
    if (!product[i]) continue;
    const wrap = wrapping[i];
    cut++;
    inRing += ring[i];
    if (wrap) {
      wrapArea++;
      wrapRing += ring[i];
      wrapTexture += texture[i];
    } else restTexture += texture[i];
  }
  const areaShare = wrapArea / Math.max(1, cut);
  if (wrapRing < MIN_RING_SHARE * inRing || areaShare < MIN_AREA_SHARE || areaShare > MAX_AREA_SHARE) return null;
  if (wrapTexture / wrapArea - restTexture / (cut - wrapArea) < MIN_TEXTURE_GAP) return null;
  return surroundShare(product, wrapping, w, h) >= MIN_SURROUND ? wrapping : null;
}

/**
 * Whether taking the inner backdrop away made the cut clearly better by its own measures: the
 * colour models tell the two sides apart much better, and a product of comparable size is left,
 * wrapped by what was taken away.
 */
export function peelIsBetter(first: { mask: Uint8Array; separability: number }, peeled: { mask: Uint8Array; separability: number }, w: number, h: number): boolean {
  if (peeled.separability < first.separability + MIN_SEPARABILITY_GAIN) return false;
  let firstArea = 0, left = 0;
  const takenAway = new Uint8Array(first.mask.length), both = new Uint8Array(first.mask.length);
  for (let i = 0; i < first.mask.length; i++) {
    firstArea += first.mask[i];
    left += first.mask[i] & peeled.mask[i];
    takenAway[i] = first.mask[i] & (peeled.mask[i] ^ 1);
    both[i] = takenAway[i] | peeled.mask[i];
  }
  return left >= MIN_REMAINDER * firstArea && surroundShare(both, takenAway, w, h) >= MIN_PEEL_SURROUND;
}

/**
 * Pixels (1) of clusters that are printed, and of the ground between the print where it lies near
 * the print: a ground cluster may also hold a smooth part of the product of the same colour (a
 * sunlit leaf as pale as the cloth's cream), whose body lies away from the print.
 */
function wrappingPixels(cluster: Uint8Array, product: Uint8Array, texture: Uint8Array, w: number, h: number): Uint8Array {
  const count = new Float64Array(CLUSTERS), textureSum = new Float64Array(CLUSTERS);
  for (let i = 0; i < product.length; i++) if (product[i]) {
    count[cluster[i]]++;
    textureSum[cluster[i]] += texture[i];
  }
  const wraps = new Uint8Array(CLUSTERS);
  for (let c = 0; c < CLUSTERS; c++) wraps[c] = count[c] && textureSum[c] / count[c] >= PRINTED ? 1 : 0;
  const printed = new Uint8Array(product.length);
  for (let i = 0; i < product.length; i++) printed[i] = product[i] && wraps[cluster[i]];
  const nearPrint = boxCount(printed, w, h, GROUND_REACH);
  const near = new Float64Array(CLUSTERS);
  for (let i = 0; i < product.length; i++) if (product[i] && nearPrint[i]) near[cluster[i]]++;
  const ground = new Uint8Array(CLUSTERS);
  for (let c = 0; c < CLUSTERS; c++) ground[c] = !wraps[c] && count[c] && near[c] >= GROUND_SHARE * count[c] ? 1 : 0;
  const out = new Uint8Array(product.length);
  for (let i = 0; i < product.length; i++) if (product[i]) out[i] = wraps[cluster[i]] || (ground[cluster[i]] && nearPrint[i]) ? 1 : 0;
  return out;
}

/** Product pixels within `width` (chessboard distance) of a pixel that is not product, or of the frame: their window is not all product. */
function outerRing(product: Uint8Array, w: number, h: number, width: number): Uint8Array {
  const counts = boxCount(product, w, h, width);
  const full = (2 * width + 1) ** 2;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = product[i] && counts[i] < full ? 1 : 0;
  return out;
}

/** Share of the outline of what `wrapping` leaves of `product` (4-neighbours) that borders `wrapping` rather than the outside. */
function surroundShare(product: Uint8Array, wrapping: Uint8Array, w: number, h: number): number {
  let onWrap = 0, total = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (!product[i] || wrapping[i]) continue;
    for (const j of [x > 0 ? i - 1 : -1, x + 1 < w ? i + 1 : -1, y > 0 ? i - w : -1, y + 1 < h ? i + w : -1]) {
      if (j >= 0 && product[j] && !wrapping[j]) continue;
      total++;
      if (j >= 0 && wrapping[j]) onWrap++;
    }
  }
  return total ? onWrap / total : 0;
}

/** k-means clusters of the product pixels in (L, a, b, texture class), seeded deterministically by farthest points. */
function appearanceClusters(input: InnerBackdropInput, product: Uint8Array): Uint8Array {
  const { lab, texture } = input;
  const idx: number[] = [];
  for (let i = 0; i < product.length; i++) if (product[i]) idx.push(i);
  const features = new Float64Array(idx.length * 4);
  const mean = new Float64Array(4);
  idx.forEach((i, k) => {
    features.set([lab[i * 3], lab[i * 3 + 1], lab[i * 3 + 2], texture[i] * TEXTURE_SPREAD], k * 4);
    for (let d = 0; d < 4; d++) mean[d] += features[k * 4 + d] / idx.length;
  });
  const distance2 = (k: number, c: Float64Array) => (features[k * 4] - c[0]) ** 2 + (features[k * 4 + 1] - c[1]) ** 2 + (features[k * 4 + 2] - c[2]) ** 2 + (features[k * 4 + 3] - c[3]) ** 2;
  const centres = [mean];
  const nearest = new Float64Array(idx.length).fill(Infinity);
  while (centres.length < CLUSTERS) {
    const c = centres[centres.length - 1];
    let pick = 0;
    for (let k = 0; k < idx.length; k++) {
      nearest[k] = Math.min(nearest[k], distance2(k, c));
      if (nearest[k] > nearest[pick]) pick = k;
    }
    centres.push(features.slice(pick * 4, pick * 4 + 4));
  }
  const assign = new Uint8Array(product.length);
  for (let round = 0, changed = true; changed && round < MAX_KMEANS_ROUNDS; round++) {
    changed = round === 0;
    const sums = centres.map(() => new Float64Array(5));
    for (let k = 0; k < idx.length; k++) {
      let best = 0, bestD = distance2(k, centres[0]);
      for (let c = 1; c < CLUSTERS; c++) {
        const d = distance2(k, centres[c]);
        if (d < bestD) (best = c), (bestD = d);
      }
      if (assign[idx[k]] !== best) (assign[idx[k]] = best), (changed = true);
      for (let d = 0; d < 4; d++) sums[best][d] += features[k * 4 + d];
      sums[best][4]++;
    }
    for (let c = 0; c < CLUSTERS; c++) if (sums[c][4]) for (let d = 0; d < 4; d++) centres[c][d] = sums[c][d] / sums[c][4];
  }
  return assign;
}
