import sharp from 'sharp';
import { boxBlur, boxCount, labelComponents } from '../image/mask-ops';
import { rawInput, type RawImage } from '../image/raw-image';

/**
 * How far a matte (classical or model) can be trusted, judged from the photo and the alpha alone.
 * Each measure maps to a sub-score in [0,1] (1 = looks like a sound cut-out); the trust score is
 * their product, and the reason a seller reads is the weakest measure.
 */
export interface MatteTrust {
  /** 0..1; below TRUST_THRESHOLD the cut-out is not delivered unchecked. */
  score: number;
  verdict: 'trusted' | 'doubtful';
  /** The measure that set the score, in plain words (empty when trusted). */
  reason: string;
  measures: TrustMeasures;
  /** Each judged measure's sub-score (1 = sound, 0 = fails on its own): what a checklist marks. */
  scores: Partial<Record<keyof TrustMeasures, number>>;
}

export interface TrustMeasures {
  /** Share of the image the product covers. */
  coverage: number;
  /** Pieces of the cut-out larger than 2 % of it. */
  fragments: number;
  /** Share of the cut-out outside its largest piece. */
  fragmentShare: number;
  /** Share of the photo's border the cut-out runs along. */
  borderContact: number;
  /** Share of the outline where the photo changes colour across it (the outline follows a real edge). */
  edgeAgreement: number;
  /** Half-transparent pixels (alpha 32-223) as a share of the product's area: a unsure matte is soft everywhere. */
  softShare: number;
  /** The classical matte's own figure: what looks like product inside its box but was left out. */
  strayShare?: number;
  /** A model's matte: IoU with the built-in matte, when that found a product too. */
  agreement?: number;
  /**
   * A model's matte: share of the built-in cut-out that this one keeps too. A model that picked out
   * a detail or a prop (a peg clipped to a plant) keeps a sliver of what the built-in cut found.
   */
  builtInKept?: number;
  /** A model's matte: the built-in matte's own trust verdict was trusted. */
  builtInTrusted?: boolean;
  /**
   * The built-in matte's graph-cut pass (no plain backdrop): IoU of its cut with the same cut on a
   * grid of another size. A cut that follows the product's outline barely moves; one that guessed
   * (a busy backdrop, no single subject) lands elsewhere.
   */
  stability?: number;
  /** The graph-cut pass: how well its colour models tell product from backdrop (0.5 chance, 1 perfect). */
  separability?: number;
}

export const TRUST_THRESHOLD = 0.5;

/** Longest side of the copy the measures are taken on: outline and pieces show at this size. */
const ANALYSIS_SIDE = 256;

export interface TrustInput {
  image: RawImage;
  /** Full-resolution alpha, one byte per pixel. */
  alpha: Uint8Array;
  strayShare?: number;
  /** Judging a model's matte: the built-in matte of the same photo and whether it was itself trusted. */
  builtIn?: { alpha: Uint8Array; trusted: boolean };
  /** The built-in matte's graph-cut pass made it: its own confidence figures. */
  cut?: { stability: number; separability: number };
}

export async function judgeMatte({ image, alpha, strayShare, builtIn, cut }: TrustInput): Promise<MatteTrust> {
  const { width: W, height: H } = image;
  const scale = Math.min(1, ANALYSIS_SIDE / Math.max(W, H));
  const w = Math.max(1, Math.round(W * scale));
  const h = Math.max(1, Math.round(H * scale));
  const rgb = await sharp(image.data, rawInput(image)).removeAlpha().toColourspace('srgb').resize(w, h, { fit: 'fill' }).raw().toBuffer();
  const fg = await binaryPlane(alpha, W, H, w, h);

  const area = count(fg);
  const { fragments, fragmentShare } = pieces(fg, w, h, area);
  const measures: TrustMeasures = {
    coverage: round(area / (w * h)),
    fragments,
    fragmentShare: round(fragmentShare),
    borderContact: round(borderContact(fg, w, h)),
    // A model's outline may run along any inner line of the photo (half a drawing, cut along its ink);
    // the built-in matte's (it reports strayShare) is where the photo leaves the backdrop, so there a
    // smooth backdrop beside a clear step is enough.
    edgeAgreement: round(edgeAgreement(rgb, fg, w, h, strayShare !== undefined)),
    softShare: round(softShare(alpha)),
    ...(strayShare !== undefined ? { strayShare: round(strayShare) } : {}),
    ...(builtIn ? comparison(alpha, builtIn) : {}),
    ...(cut ? { stability: round(cut.stability), separability: round(cut.separability) } : {}),
  };
  return verdictOf(measures);
}

interface Check {
  measure: keyof TrustMeasures;
  score: number;
  reason: string;
}

/** Pure: the measures → score and the plain-words reason of the weakest one. */
export function verdictOf(m: TrustMeasures): MatteTrust {
  // On a tie the first named wins: a half-transparent matte explains the rest (a wrong normalisation).
  const checks: Check[] = [
    { measure: 'softShare', score: ramp(m.softShare, 0.25, 0.5), reason: 'much of the cut-out is half-transparent: the matte could not tell product from background' },
    { measure: 'coverage', score: m.coverage < 0.002 ? 0 : m.coverage > 0.98 ? 0 : 1, reason: m.coverage < 0.002 ? 'the cut-out is a speck: almost nothing was kept' : 'the cut-out covers almost the whole photo: the background was kept as product' },
    { measure: 'fragmentShare', score: piecesScore(m), reason: `the cut-out fell apart into ${m.fragments} pieces` },
    { measure: 'borderContact', score: ramp(m.borderContact, 0.3, 0.55), reason: 'the cut-out runs along the photo\'s edges: part of the background was kept as product' },
    { measure: 'edgeAgreement', score: rampUp(m.edgeAgreement, 0.2, 0.5), reason: 'the cut-out\'s outline does not follow the edges in the photo: it cuts through the product or the background' },
  ];
  if (m.strayShare !== undefined) {
    checks.push({ measure: 'strayShare', score: ramp(m.strayShare, 0.1, 0.25), reason: `within the product's bounding box, an area ${Math.round(m.strayShare * 100)} % the size of the cut-out looks like product but was left out` });
  }
  // A model's cut-out judged on its own looks sound even when it cut the wrong thing (IS-Net keeps
  // only the clothes peg on plant-in-pot, crisp and along real edges): beside the built-in cut it shows.
  if (m.builtInKept !== undefined) {
    checks.push({ measure: 'builtInKept', score: rampUp(m.builtInKept, 0.1, 0.2), reason: `the cut-out keeps only ${Math.round(m.builtInKept * 100)} % of what the built-in cut-out found as product: the model probably picked out a detail or a prop, not the product` });
  }
  // Two cut-outs that each look sound yet differ: one of them cut the wrong thing, and nothing tells which.
  if (m.builtInTrusted && m.agreement !== undefined) {
    checks.push({ measure: 'agreement', score: rampUp(m.agreement, 0.6, 0.8), reason: `the built-in cut-out looks sound and disagrees with this one (they share ${Math.round(m.agreement * 100)} % of what either kept): one of them cut the wrong thing` });
  }
  // Without a plain backdrop the graph cut follows real edges even when it cut the wrong thing (a cup
  // to its rim, a dog to its head), so the measures above pass its bad cut-outs; whether the cut
  // stays put on a grid of another size is what told good from bad on the real photos.
  if (m.stability !== undefined) {
    checks.push({ measure: 'stability', score: rampUp(m.stability, STABILITY_BAD, STABILITY_GOOD), reason: 'the background is not plain and the built-in cut-out is unsure where the product ends (it moves when cut at another size)' });
  }
  if (m.separability !== undefined) {
    checks.push({ measure: 'separability', score: rampUp(m.separability, SEPARABILITY_BAD, SEPARABILITY_GOOD), reason: 'the product\'s colours are too close to the background\'s for the built-in cut-out to tell them apart' });
  }
  // Several half-bad measures together are as telling as one bad one: the score is their product.
  const weakest = checks.reduce((a, b) => (b.score < a.score ? b : a));
  const score = round(checks.reduce((p, c) => p * c.score, 1));
  const verdict = score >= TRUST_THRESHOLD ? 'trusted' : 'doubtful';
  const scores = Object.fromEntries(checks.map((c) => [c.measure, round(c.score)]));
  return { score, verdict, reason: verdict === 'doubtful' ? weakest.reason : '', measures: m, scores };
}

/**
 * Colour separability of the graph cut (0.5 = chance) at and below which its colours cannot tell the
 * sides apart, and from which they can. Beside a half-sound stability it decides: a darker rocket at
 * night, cut to the sky around it, was stable (0.969) but separated at 0.84; good cut-outs separate
 * at 0.867 or more.
 */
const SEPARABILITY_BAD = 0.8;
const SEPARABILITY_GOOD = 0.9;

/**
 * Graph-cut stability (IoU between two grid sizes) at and below which the cut is a guess, and from which
 * it is sound. On the real photos and their variants (mirrored, JPEG q70, 0.8× and 1.15× exposure, 0.75×
 * size) every cut-out at IoU ≥ 0.9 had 0.972 or more; wrong ones reached 0.957 (a mirrored dog cut to its
 * head, a darker plant with the shelf kept).
 */
const STABILITY_BAD = 0.96;
const STABILITY_GOOD = 0.975;

/**
 * Pieces are a broken cut-out unless every outline follows a real edge and no second method's
 * figures say otherwise: separate items on a plain backdrop (sweets, a pair of earrings) are a set.
 */
function piecesScore(m: TrustMeasures): number {
  const broken = ramp(m.fragmentShare, 0.3, 0.45);
  if (m.stability !== undefined) return broken;
  return Math.max(broken, rampUp(m.edgeAgreement, 0.8, 0.9));
}

/** What the seller and the engineer read when a cut-out is refused: what went wrong, what to do. */
export function untrustedMessage(trust: MatteTrust, method: string): string {
  const hint = method === 'classical'
    ? 'the background is probably too busy, or too close to the product\'s colours, for the built-in cut-out: install a segmentation model with '
      + '`npx studioflow models install isnet-medium --accept-licence agpl-3.0`, or shoot on a plainer background'
    : 'shoot on a plainer background, or check the model\'s preset (normalisation, output kind)';
  return `the cut-out can't be trusted (trust ${trust.score.toFixed(2)} < ${TRUST_THRESHOLD}): ${trust.reason}. ${capitalise(hint)}.`;
}

/** 1 up to `good`, falling to 0 at `bad` (a measure where more is worse). */
function ramp(value: number, good: number, bad: number): number {
  if (value <= good) return 1;
  if (value >= bad) return 0;
  return 1 - (value - good) / (bad - good);
}

/** 0 up to `bad`, rising to 1 at `good` (a measure where more is better). */
function rampUp(value: number, bad: number, good: number): number {
  return ramp(-value, -good, -bad);
}

async function binaryPlane(alpha: Uint8Array, W: number, H: number, w: number, h: number): Promise<Uint8Array> {
  const small = w === W && h === H ? alpha : await sharp(alpha, { raw: { width: W, height: H, channels: 1 } }).resize(w, h, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = small[i] >= 128 ? 1 : 0;
  return out;
}

function count(plane: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < plane.length; i++) n += plane[i];
  return n;
}

function pieces(fg: Uint8Array, w: number, h: number, area: number): { fragments: number; fragmentShare: number } {
  if (area === 0) return { fragments: 0, fragmentShare: 0 };
  const { areas } = labelComponents(fg, w, h);
  const largest = Math.max(...areas.slice(1));
  return { fragments: areas.slice(1).filter((a) => a >= 0.02 * area).length, fragmentShare: (area - largest) / area };
}

function borderContact(fg: Uint8Array, w: number, h: number): number {
  let on = 0;
  for (let x = 0; x < w; x++) on += fg[x] + fg[(h - 1) * w + x];
  for (let y = 1; y < h - 1; y++) on += fg[y * w] + fg[y * w + w - 1];
  return on / Math.max(1, 2 * w + 2 * Math.max(0, h - 2));
}

/**
 * Along the outline, the mean colour just inside against just outside (5 px windows): a sound cut
 * follows a change of colour; a cut through a textured backdrop or through the product does not.
 * The step that counts as a change is relative to the colour noise in the same windows.
 */
function edgeAgreement(rgb: Buffer, fg: Uint8Array, w: number, h: number, oneSmoothSide: boolean): number {
  const n = w * h;
  const fgF = new Float32Array(n);
  const inside = new Float32Array(n * 3);
  const outside = new Float32Array(n * 3);
  const colours = new Float32Array(n * 3);
  const squares = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const f = fg[i];
    fgF[i] = f;
    let sq = 0;
    for (let c = 0; c < 3; c++) {
      const v = rgb[i * 3 + c];
      colours[i * 3 + c] = v;
      inside[i * 3 + c] = f ? v : 0;
      outside[i * 3 + c] = f ? 0 : v;
      sq += v * v;
    }
    squares[i] = sq;
  }
  const r = 2;
  const share = boxBlur(fgF, w, h, r);
  const inMean = boxBlur(inside, w, h, r, 3);
  const outMean = boxBlur(outside, w, h, r, 3);
  const mean = boxBlur(colours, w, h, r, 3);
  const meanSq = boxBlur(squares, w, h, r);
  const inCore = oneSmoothSide ? sideStats(fg, 9, colours, squares, w, h) : null;
  const outCore = oneSmoothSide ? sideStats(fg, 0, colours, squares, w, h) : null;
  let outline = 0, agreeing = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (!fg[i] || (fg[i - 1] && fg[i + 1] && fg[i - w] && fg[i + w])) continue;
      const s = share[i];
      if (s <= 0.05 || s >= 0.95) continue;
      outline++;
      let step = 0, m2 = 0;
      for (let c = 0; c < 3; c++) {
        const d = inMean[i * 3 + c] / s - outMean[i * 3 + c] / (1 - s);
        step += d * d;
        m2 += mean[i * 3 + c] * mean[i * 3 + c];
      }
      // Total variance of the window = between-sides part + within-sides part; the step must stand
      // out from what is left inside the sides (texture, noise).
      const total = Math.max(0, meanSq[i] - m2);
      const between = s * (1 - s) * step;
      const within = Math.max(0, total - between);
      if (Math.sqrt(step) >= 12 && between >= 1.5 * within) agreeing++;
      else if (inCore && outCore && smoothSideStep(inCore, outCore, i)) agreeing++;
    }
  }
  return outline ? agreeing / outline : 0;
}

interface SideStats { share: Float32Array; sum: Float32Array; sumSq: Float32Array }

/**
 * Window sums (radius 3) over one side's core: pixels whose whole 3×3 neighbourhood is on that side
 * (`count` 9 = inside, 0 = outside). Leaving out the pixel next to the cut keeps an inked outline
 * that the cut runs through from spoiling both sides.
 */
function sideStats(fg: Uint8Array, count: number, colours: Float32Array, squares: Float32Array, w: number, h: number): SideStats {
  const n = w * h;
  const counts = boxCount(fg, w, h, 1);
  const core = new Float32Array(n), sum = new Float32Array(n * 3), sumSq = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (counts[i] !== count) continue;
    core[i] = 1;
    sum[i * 3] = colours[i * 3];
    sum[i * 3 + 1] = colours[i * 3 + 1];
    sum[i * 3 + 2] = colours[i * 3 + 2];
    sumSq[i] = squares[i];
  }
  return { share: boxBlur(core, w, h, 3), sum: boxBlur(sum, w, h, 3, 3), sumSq: boxBlur(sumSq, w, h, 3) };
}

/**
 * A clear step between the two cores with at least one core smooth beside it: a drawing's inked
 * outline on white paper, a smooth product on a textured cloth.
 */
function smoothSideStep(a: SideStats, b: SideStats, i: number): boolean {
  const sa = a.share[i], sb = b.share[i];
  if (sa < 0.1 || sb < 0.1) return false;
  let step = 0, a2 = 0, b2 = 0;
  for (let c = 0; c < 3; c++) {
    const ma = a.sum[i * 3 + c] / sa, mb = b.sum[i * 3 + c] / sb;
    step += (ma - mb) * (ma - mb);
    a2 += ma * ma;
    b2 += mb * mb;
  }
  const smoothest = Math.min(Math.max(0, a.sumSq[i] / sa - a2), Math.max(0, b.sumSq[i] / sb - b2));
  return step >= 12 * 12 && smoothest * 9 <= step;
}

function softShare(alpha: Uint8Array): number {
  let soft = 0, product = 0;
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i];
    if (a >= 32) {
      product++;
      if (a <= 223) soft++;
    }
  }
  return product ? soft / product : 0;
}

/** A model's matte beside the built-in one: their IoU, and how much of the built-in cut-out it keeps. */
function comparison(alpha: Uint8Array, builtIn: { alpha: Uint8Array; trusted: boolean }): Pick<TrustMeasures, 'agreement' | 'builtInKept' | 'builtInTrusted'> {
  let both = 0, either = 0, builtInArea = 0;
  const other = builtIn.alpha;
  const n = Math.min(alpha.length, other.length);
  for (let i = 0; i < n; i++) {
    const x = alpha[i] >= 128, y = other[i] >= 128;
    if (x && y) both++;
    if (x || y) either++;
    if (y) builtInArea++;
  }
  return {
    agreement: round(either ? both / either : 1),
    builtInKept: round(builtInArea ? both / builtInArea : 1),
    builtInTrusted: builtIn.trusted,
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
