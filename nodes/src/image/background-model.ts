import { rgbToLab } from './lab';
import { kthSmallest } from './quickselect';

/**
 * A smooth backdrop model fitted to the image border: per channel a quadratic surface in the
 * normalised coordinates, so a sweep gradient or a vignette is followed, not flagged as product.
 * Fitted robustly (start from the median, trim outliers, refit) so a product touching one side
 * of the frame does not drag the model.
 */

const TERMS = 6; // 1, x, y, x², y², xy
/** Channels modelled: L, a, b for distances; R, G, B for matting in pixel space. */
export const MODEL_CHANNELS = 6;

export interface BackgroundModel {
  /** coef[c * TERMS + k] for channel c (L, a, b, R, G, B). */
  coef: Float64Array;
  /** 95th percentile of the Lab residual on backdrop border pixels: the noise floor. */
  noise: number;
  /** How many border samples fitted the model (inliers) out of how many. */
  inliers: number;
  samples: number;
}

/** Evaluates the model at normalised position (u, v) in [0,1] into out[0..5]. */
export function evalBackground(m: BackgroundModel, u: number, v: number, out: Float64Array | Float32Array): void {
  const x = u * 2 - 1, y = v * 2 - 1;
  const t1 = x, t2 = y, t3 = x * x, t4 = y * y, t5 = x * y;
  const c = m.coef;
  for (let ch = 0, o = 0; ch < MODEL_CHANNELS; ch++, o += TERMS) {
    out[ch] = c[o] + c[o + 1] * t1 + c[o + 2] * t2 + c[o + 3] * t3 + c[o + 4] * t4 + c[o + 5] * t5;
  }
}

/**
 * The model along row v as a quadratic in x = 2u - 1: out[ch * 3 + k] for k = 0, 1, 2, so a pass
 * over a row costs two multiply-adds per channel instead of a full evaluation.
 */
export function rowPolynomials(m: BackgroundModel, v: number, out: Float64Array): void {
  const y = v * 2 - 1;
  const c = m.coef;
  for (let ch = 0, o = 0; ch < MODEL_CHANNELS; ch++, o += TERMS) {
    out[ch * 3] = c[o] + c[o + 2] * y + c[o + 4] * y * y;
    out[ch * 3 + 1] = c[o + 1] + c[o + 5] * y;
    out[ch * 3 + 2] = c[o + 3];
  }
}

export function fitBackground(rgb: Uint8Array, channels: number, width: number, height: number): BackgroundModel {
  const strip = Math.max(2, Math.round(0.015 * Math.min(width, height)));
  const idx = borderSamples(width, height, strip);
  const n = idx.length;
  const xs = new Float64Array(n), ys = new Float64Array(n);
  const vals = new Float64Array(n * MODEL_CHANNELS);
  const lab = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const p = idx[i];
    const px = p % width, py = (p - px) / width;
    xs[i] = (px / Math.max(1, width - 1)) * 2 - 1;
    ys[i] = (py / Math.max(1, height - 1)) * 2 - 1;
    const o = i * MODEL_CHANNELS, q = p * channels;
    rgbToLab(rgb[q], rgb[q + 1], rgb[q + 2], lab);
    vals[o] = lab[0];
    vals[o + 1] = lab[1];
    vals[o + 2] = lab[2];
    vals[o + 3] = rgb[q];
    vals[o + 4] = rgb[q + 1];
    vals[o + 5] = rgb[q + 2];
  }

  // Start from the per-channel median: right whenever most of the border is backdrop.
  const coef = new Float64Array(MODEL_CHANNELS * TERMS);
  for (let c = 0; c < MODEL_CHANNELS; c++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = vals[i * MODEL_CHANNELS + c];
    coef[c * TERMS] = median(col);
  }
  const weights = new Float64Array(n);
  const resid = new Float64Array(n);
  let inliers = n;
  for (const terms of [3, 6, 6]) {
    residuals(coef, xs, ys, vals, resid);
    const med = median(resid.slice());
    const mad = median(resid.map((r) => Math.abs(r - med)));
    const cut = Math.max(3, med + 3.5 * 1.4826 * mad);
    inliers = 0;
    for (let i = 0; i < n; i++) {
      weights[i] = resid[i] <= cut ? 1 : 0;
      inliers += weights[i];
    }
    solveWeighted(xs, ys, vals, weights, terms, coef);
  }
  residuals(coef, xs, ys, vals, resid);
  const inlierResid = resid.filter((_, i) => weights[i] > 0).sort();
  const noise = inlierResid.length ? inlierResid[Math.floor(0.95 * (inlierResid.length - 1))] : 3;
  return { coef, noise: Math.max(0.5, noise), inliers, samples: n };
}

/** Indices of every other pixel (checkerboard) in the border strip, row by row; only the strip is visited. */
function borderSamples(width: number, height: number, strip: number): Int32Array {
  const out = new Int32Array(width * height);
  let n = 0;
  for (let y = 0; y < height; y++) {
    const edgeRow = y < strip || y >= height - strip;
    const row = y * width;
    // Every other pixel is plenty for a 6-term fit.
    if (edgeRow || 2 * strip >= width) {
      for (let x = y & 1; x < width; x += 2) out[n++] = row + x;
    } else {
      for (let x = y & 1; x < strip; x += 2) out[n++] = row + x;
      const from = width - strip;
      for (let x = from + ((from + y) & 1); x < width; x += 2) out[n++] = row + x;
    }
  }
  return out.subarray(0, n);
}

function basis(x: number, y: number, out: Float64Array): void {
  out[0] = 1;
  out[1] = x;
  out[2] = y;
  out[3] = x * x;
  out[4] = y * y;
  out[5] = x * y;
}

/** Lab distance of each sample to the current model. */
function residuals(coef: Float64Array, xs: Float64Array, ys: Float64Array, vals: Float64Array, out: Float64Array): void {
  const b = new Float64Array(TERMS);
  for (let i = 0; i < xs.length; i++) {
    basis(xs[i], ys[i], b);
    let s = 0;
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let k = 0; k < TERMS; k++) m += coef[c * TERMS + k] * b[k];
      const d = vals[i * MODEL_CHANNELS + c] - m;
      s += d * d;
    }
    out[i] = Math.sqrt(s);
  }
}

/** Weighted least squares with a light ridge on the curvature terms (stable if a side is missing). */
function solveWeighted(xs: Float64Array, ys: Float64Array, vals: Float64Array, w: Float64Array, terms: number, coef: Float64Array): void {
  const A = new Float64Array(terms * terms);
  const B = new Float64Array(terms * MODEL_CHANNELS);
  const b = new Float64Array(TERMS);
  let wsum = 0;
  for (let i = 0; i < xs.length; i++) {
    if (w[i] === 0) continue;
    wsum += w[i];
    basis(xs[i], ys[i], b);
    for (let r = 0; r < terms; r++) {
      for (let c = 0; c < terms; c++) A[r * terms + c] += w[i] * b[r] * b[c];
      for (let ch = 0; ch < MODEL_CHANNELS; ch++) B[r * MODEL_CHANNELS + ch] += w[i] * b[r] * vals[i * MODEL_CHANNELS + ch];
    }
  }
  if (wsum < terms * 4) return; // too few backdrop samples: keep the previous model
  for (let r = 3; r < terms; r++) A[r * terms + r] += 0.02 * wsum;
  const x = gaussSolve(A, B, terms, MODEL_CHANNELS);
  if (!x) return;
  coef.fill(0);
  for (let ch = 0; ch < MODEL_CHANNELS; ch++) for (let k = 0; k < terms; k++) coef[ch * TERMS + k] = x[k * MODEL_CHANNELS + ch];
}

/** Solves A X = B (A n×n, B n×m) by Gaussian elimination with partial pivoting; null if singular. */
function gaussSolve(A: Float64Array, B: Float64Array, n: number, m: number): Float64Array | null {
  const a = A.slice(), b = B.slice();
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    if (Math.abs(a[piv * n + col]) < 1e-12) return null;
    if (piv !== col) {
      for (let k = 0; k < n; k++) [a[col * n + k], a[piv * n + k]] = [a[piv * n + k], a[col * n + k]];
      for (let k = 0; k < m; k++) [b[col * m + k], b[piv * m + k]] = [b[piv * m + k], b[col * m + k]];
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
      for (let k = 0; k < m; k++) b[r * m + k] -= f * b[col * m + k];
    }
  }
  for (let r = 0; r < n; r++) for (let k = 0; k < m; k++) b[r * m + k] /= a[r * n + r];
  return b;
}

/** Median by quickselect (reorders `values`; callers pass a scratch copy). */
function median(values: Float64Array): number {
  return values.length === 0 ? 0 : kthSmallest(values, (values.length - 1) >> 1);
}
