import { deltaE2000 } from '../image/ciede2000';
import { rgbToLab, labToRgb } from '../image/lab';
import type { RawImage } from '../image/raw-image';

/** What the cut-out itself tells about the product, for the prompt's product description. */
export interface ProductAttributes {
  /** Named colours, most of the product first. */
  colours: NamedColour[];
  sizeClass: SizeClass;
  shape: Shape;
  /** The numbers the classes were read from, for an engineer checking them. */
  measured: { frameCoverage: number; aspect: number; bboxFill: number; ellipseFit: number; sizeBasis: 'source frame' | 'cut-out' };
}

export interface NamedColour {
  name: string;
  /** Share of the product's opaque pixels. */
  share: number;
  /** The cluster's mean colour. */
  hex: string;
}

/** How much of the seller's frame the product fills: it sets the framing words of the prompt. */
export type SizeClass = 'small' | 'medium' | 'large';
export type Shape = 'tall' | 'wide' | 'round' | 'square-ish';

/** Colour words shoppers use; a cluster takes the name of the nearest entry (CIEDE2000). */
const PALETTE: ReadonlyArray<readonly [string, string]> = [
  ['black', '#141414'], ['dark grey', '#474747'], ['grey', '#808080'], ['light grey', '#c4c4c4'], ['white', '#f7f7f7'],
  ['cream', '#f1e6c8'], ['beige', '#d6c2a0'], ['tan', '#b48a5a'], ['brown', '#6f4428'],
  ['red', '#c62828'], ['burgundy', '#7b1e2b'], ['pink', '#f2a7bd'], ['magenta', '#c81d7a'],
  ['orange', '#e8731a'], ['yellow', '#f2d23c'], ['mustard', '#c29a1f'], ['olive', '#6b6b2a'],
  ['green', '#2e8b3e'], ['dark green', '#1f4d2e'], ['mint', '#a8dcc0'], ['teal', '#11807f'],
  ['light blue', '#8fbde8'], ['blue', '#1f5fbf'], ['navy', '#1b2a4e'], ['purple', '#6a2c91'], ['lavender', '#b9a3d9'],
];
const PALETTE_LAB = PALETTE.map(([name, hex]) => {
  const lab = new Float64Array(3);
  rgbToLab(parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16), lab);
  return { name, lab };
});

/** Pixels at least this opaque count as product colour; softer edge pixels carry backdrop. */
const OPAQUE = 224;
const MAX_SAMPLES = 20_000;
const CLUSTERS = 5;
/** A colour covering less of the product than this is a detail, not one of its colours. */
const MIN_COLOUR_SHARE = 0.12;
const MAX_COLOURS = 3;

/** Dominant colours of the product's opaque pixels: k-means in Lab, each centre named by ΔE00. */
export function dominantColours(cut: RawImage): NamedColour[] {
  const samples = opaqueLabSamples(cut);
  const n = samples.length / 3;
  if (n === 0) return [];
  const byName = new Map<string, { share: number; lab: number[] }>();
  for (const tone of mergeShades(kMeans(samples, Math.min(CLUSTERS, n)))) {
    const name = nearestName(tone.lab);
    const seen = byName.get(name);
    if (!seen) byName.set(name, { share: tone.count / n, lab: tone.lab });
    else addWeighted(seen, tone.lab, tone.count / n);
  }
  const ranked = [...byName.entries()].sort((a, b) => b[1].share - a[1].share || (a[0] < b[0] ? -1 : 1));
  return ranked
    .filter(([, c], i) => i === 0 || c.share >= MIN_COLOUR_SHARE)
    .slice(0, MAX_COLOURS)
    .map(([name, c]) => ({ name, share: round2(c.share), hex: labHex(c.lab) }));
}

/** Below this Lab chroma a colour reads as a grey. */
const ACHROMATIC = 12;

/**
 * Shading splits one surface colour into darker and lighter clusters (a red mug's shadowed side
 * comes out burgundy): clusters of one hue, or greys of similar lightness, are one colour.
 */
function mergeShades(clusters: Cluster[]): Array<{ lab: number[]; count: number }> {
  const tones: Array<{ lab: number[]; count: number; seed: Float64Array }> = [];
  for (const c of [...clusters].sort((a, b) => b.count - a.count)) {
    if (c.count === 0) continue;
    const tone = tones.find((t) => sameTone(t.seed, c.lab));
    if (!tone) tones.push({ lab: [...c.lab], count: c.count, seed: c.lab });
    else {
      const merged = { share: tone.count, lab: tone.lab };
      addWeighted(merged, c.lab, c.count);
      tone.count = merged.share;
    }
  }
  return tones;
}

function sameTone(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ca = Math.hypot(a[1], a[2]), cb = Math.hypot(b[1], b[2]);
  const dL = Math.abs(a[0] - b[0]);
  if (ca < ACHROMATIC && cb < ACHROMATIC) return dL <= 20;
  if (ca < ACHROMATIC || cb < ACHROMATIC) return false;
  let dh = Math.abs(Math.atan2(a[2], a[1]) - Math.atan2(b[2], b[1])) * (180 / Math.PI);
  if (dh > 180) dh = 360 - dh;
  return dh <= 20 && dL <= 35;
}

/** Folds `lab` with weight `weight` into a running weighted mean. */
function addWeighted(into: { share: number; lab: number[] }, lab: ArrayLike<number>, weight: number): void {
  for (let k = 0; k < 3; k++) into.lab[k] = (into.lab[k] * into.share + lab[k] * weight) / (into.share + weight);
  into.share += weight;
}

/** Every k-th opaque pixel in Lab, k chosen so at most MAX_SAMPLES remain (deterministic). */
function opaqueLabSamples(cut: RawImage): Float64Array {
  const { data, channels } = cut;
  const pixels = cut.width * cut.height;
  const hasAlpha = channels === 4 || channels === 2;
  const opaque = (i: number) => !hasAlpha || data[i * channels + channels - 1] >= OPAQUE;
  let count = 0;
  for (let i = 0; i < pixels; i++) if (opaque(i)) count++;
  const step = Math.max(1, Math.ceil(count / MAX_SAMPLES));
  const out = new Float64Array(Math.ceil(count / step) * 3);
  let seen = 0, o = 0;
  for (let i = 0; i < pixels; i++) {
    if (!opaque(i)) continue;
    if (seen++ % step !== 0) continue;
    const p = i * channels;
    if (channels >= 3) rgbToLab(data[p], data[p + 1], data[p + 2], out, o);
    else rgbToLab(data[p], data[p], data[p], out, o);
    o += 3;
  }
  return out.subarray(0, o);
}

interface Cluster {
  lab: Float64Array;
  count: number;
}

/** Lloyd's k-means in Lab (ΔE76 distance), seeded k-means++ with a fixed seed: same pixels, same clusters. */
function kMeans(samples: Float64Array, k: number): Cluster[] {
  const n = samples.length / 3;
  const random = xorshift(0x5eed);
  const centres: Float64Array[] = [samples.slice(0, 3)];
  const nearest = new Float64Array(n).fill(Infinity);
  while (centres.length < k) {
    const last = centres[centres.length - 1];
    let total = 0;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i], dist2(samples, i, last));
      total += nearest[i];
    }
    if (total === 0) break;
    let target = random() * total, pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target <= 0) {
        pick = i;
        break;
      }
    }
    centres.push(samples.slice(pick * 3, pick * 3 + 3));
  }
  const assign = new Int32Array(n);
  const counts = new Int32Array(centres.length);
  for (let iter = 0; iter < 12; iter++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      let best = 0, bestD = Infinity;
      for (let c = 0; c < centres.length; c++) {
        const d = dist2(samples, i, centres[c]);
        if (d < bestD) (bestD = d), (best = c);
      }
      if (assign[i] !== best || iter === 0) moved = true;
      assign[i] = best;
    }
    const sums = new Float64Array(centres.length * 3);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      counts[c]++;
      for (let j = 0; j < 3; j++) sums[c * 3 + j] += samples[i * 3 + j];
    }
    for (let c = 0; c < centres.length; c++) if (counts[c]) for (let j = 0; j < 3; j++) centres[c][j] = sums[c * 3 + j] / counts[c];
    if (!moved) break;
  }
  return centres.map((lab, c) => ({ lab, count: counts[c] }));
}

function dist2(samples: Float64Array, i: number, c: Float64Array): number {
  const dl = samples[i * 3] - c[0], da = samples[i * 3 + 1] - c[1], db = samples[i * 3 + 2] - c[2];
  return dl * dl + da * da + db * db;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function nearestName(lab: ArrayLike<number>): string {
  let best = PALETTE_LAB[0].name, bestD = Infinity;
  for (const p of PALETTE_LAB) {
    const d = deltaE2000(lab[0], lab[1], lab[2], p.lab[0], p.lab[1], p.lab[2]);
    if (d < bestD) (bestD = d), (best = p.name);
  }
  return best;
}

function labHex(lab: ArrayLike<number>): string {
  const rgb = new Uint8Array(3);
  labToRgb(lab[0], lab[1], lab[2], rgb);
  return '#' + [...rgb].map((v) => v.toString(16).padStart(2, '0')).join('');
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A silhouette this much longer one way than the other is tall (or wide), whatever its outline. */
const ELONGATED = 1.35;
/** The product's longest side over the frame's side below which it reads small, and from which large. */
const SMALL_BELOW = 0.4;
const LARGE_FROM = 0.75;

/**
 * Size class and shape from the alpha silhouette. The size is the product's extent in the seller's
 * frame (meta.productBbox over meta.sourceSize, written by segment); without them, in the cut-out.
 */
export function silhouetteAttributes(cut: RawImage, meta: Record<string, unknown> | undefined): Omit<ProductAttributes, 'colours'> {
  const silhouette = silhouetteOf(cut);
  const body = silhouette.box;
  const productBox = isBox(meta?.productBbox) ? meta.productBbox : null;
  const source = isSize(meta?.sourceSize) ? meta.sourceSize : null;
  const [frame, extent, sizeBasis] = productBox && source
    ? [source, productBox, 'source frame' as const]
    : [{ width: cut.width, height: cut.height }, body, 'cut-out' as const];
  const frameCoverage = Math.max(extent.width / frame.width, extent.height / frame.height);
  const sizeClass: SizeClass = frameCoverage < SMALL_BELOW ? 'small' : frameCoverage < LARGE_FROM ? 'medium' : 'large';

  const aspect = body.height / body.width;
  const bboxFill = silhouette.area / (body.width * body.height);
  const ellipseFit = ellipseIoU(silhouette.inside, cut.width, body);
  const shape: Shape = aspect >= ELONGATED ? 'tall' : 1 / aspect >= ELONGATED ? 'wide' : ellipseFit > bboxFill ? 'round' : 'square-ish';
  return { sizeClass, shape, measured: { frameCoverage: round2(frameCoverage), aspect: round2(aspect), bboxFill: round2(bboxFill), ellipseFit: round2(ellipseFit), sizeBasis } };
}

/** Pixels with alpha ≥ 128 (all of them without alpha), their box and count. */
function silhouetteOf(cut: RawImage): { inside: Uint8Array; box: Box; area: number } {
  const { data, channels, width, height } = cut;
  const hasAlpha = channels === 4 || channels === 2;
  const inside = new Uint8Array(width * height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (hasAlpha && data[i * channels + channels - 1] < 128) continue;
      inside[i] = 1;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (area === 0) return { inside, box: { x: 0, y: 0, width: 1, height: 1 }, area: 0 };
  return { inside, box: { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }, area };
}

/** IoU of the silhouette with the ellipse inscribed in its box: 1 for a disc, π/4 for a full box. */
function ellipseIoU(inside: Uint8Array, stride: number, box: Box): number {
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const rx = box.width / 2, ry = box.height / 2;
  let both = 0, either = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    const dy = (y + 0.5 - cy) / ry;
    for (let x = box.x; x < box.x + box.width; x++) {
      const dx = (x + 0.5 - cx) / rx;
      const inEllipse = dx * dx + dy * dy <= 1;
      const inSilhouette = inside[y * stride + x] === 1;
      if (inEllipse && inSilhouette) both++;
      if (inEllipse || inSilhouette) either++;
    }
  }
  return either ? both / either : 0;
}

function isBox(v: unknown): v is Box {
  const b = v as Box;
  return typeof v === 'object' && v !== null && [b.x, b.y, b.width, b.height].every(Number.isFinite) && b.width > 0 && b.height > 0;
}

function isSize(v: unknown): v is { width: number; height: number } {
  const s = v as { width: number; height: number };
  return typeof v === 'object' && v !== null && Number.isFinite(s.width) && Number.isFinite(s.height) && s.width > 0 && s.height > 0;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The product category, when a captioning model can name it. */
export type ProductCategory =
  | { status: 'captioned'; category: string; model: string }
  | { status: 'not-configured'; note: string };

/**
 * The hook for a captioning model. None is configured in this build, so the product is described by
 * its title and what the cut-out shows. A captioner belongs in the model host (reached through the
 * node context, like the segmentation models); when one is wired in, call it here and fold its id
 * into compose-prompt's cacheSalt so a new model never serves a cached prompt.
 */
export async function productCategory(): Promise<ProductCategory> {
  return { status: 'not-configured', note: 'no captioning model is configured: the description uses the title and the attributes measured on the cut-out' };
}
