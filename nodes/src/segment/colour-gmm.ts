/**
 * Gaussian mixture colour models in Lab, as in GrabCut (Rother et al. 2004): a few full-covariance
 * components per class, fitted to the pixels currently labelled as that class. Lab rather than RGB
 * so a product's shaded side (dark orange) stays apart from a dark green backdrop: chroma is kept
 * when the light falls.
 */
import { kthSmallest } from '../image/quickselect';

/** Components per class (GrabCut's K). */
const COMPONENTS = 5;
/** k-means rounds that seed the components; the fit is deterministic (no random start). */
const KMEANS_ROUNDS = 4;
/** Most pixels the k-means seeding looks at (an even stride through the selection); the final fit uses all. */
const KMEANS_SAMPLE = 2000;
/** Added to each covariance's diagonal (Lab units²): keeps a flat-coloured component invertible. */
const REGULARISE = 4;

/** Lab planes of an RGB buffer: L, a, b interleaved, one triple per pixel. */
export type LabPlane = Float32Array;

interface Component {
  weight: number;
  mean: [number, number, number];
  /** Inverse covariance (row-major 3×3). */
  inv: Float64Array;
  /** -ln(weight) + ½ ln det Σ + 3/2 ln 2π: the part of the cost that does not depend on the colour. */
  offset: number;
}

export class ColourGmm {
  private constructor(private readonly components: Component[]) {}

  /** Per pixel where `select(i)` holds, the index of its likeliest component; 255 elsewhere. */
  likeliestComponents(lab: LabPlane, select: (i: number) => boolean): Uint8Array {
    const n = lab.length / 3;
    const out = new Uint8Array(n).fill(255);
    const cs = this.components;
    for (let i = 0; i < n; i++) {
      if (!select(i)) continue;
      const L = lab[i * 3], a = lab[i * 3 + 1], b = lab[i * 3 + 2];
      let best = Infinity;
      for (let k = 0; k < cs.length; k++) {
        const c = cs[k], m = c.mean, q = c.inv;
        const x = L - m[0], y = a - m[1], z = b - m[2];
        const e = c.offset + 0.5 * (x * (q[0] * x + q[1] * y + q[2] * z) + y * (q[3] * x + q[4] * y + q[5] * z) + z * (q[6] * x + q[7] * y + q[8] * z));
        if (e < best) {
          best = e;
          out[i] = k;
        }
      }
    }
    return out;
  }

  /**
   * Fits the mixture to the pixels labelled `side` (0 or 1) in `labels`, each weighing one plus its
   * `extraWeight` (none when absent); null when too few.
   */
  static fit(lab: LabPlane, labels: Uint8Array, side: number, extraWeight?: Uint8Array): ColourGmm | null {
    const n = lab.length / 3;
    let count = 0;
    for (let i = 0; i < n; i++) if (labels[i] === side) count++;
    if (count < COMPONENTS * 4) return null;
    // k-means seeds the components on an even stride through the selection.
    const stride = Math.max(1, Math.floor(count / KMEANS_SAMPLE));
    const sample = new Int32Array(Math.ceil(count / stride));
    for (let i = 0, k = 0, j = 0; j < sample.length; i++) if (labels[i] === side && k++ % stride === 0) sample[j++] = i;
    const centres = seedCentres(lab, sample);
    const sampleAssign = new Uint8Array(sample.length);
    const sums = new Float64Array(centres.length * 4);
    for (let round = 0; round < KMEANS_ROUNDS; round++) {
      assignNearest(lab, sample, centres, sampleAssign);
      sums.fill(0);
      for (let k = 0; k < sample.length; k++) {
        const c = sampleAssign[k], i = sample[k];
        sums[c * 4] += lab[i * 3];
        sums[c * 4 + 1] += lab[i * 3 + 1];
        sums[c * 4 + 2] += lab[i * 3 + 2];
        sums[c * 4 + 3]++;
      }
      for (let c = 0; c < centres.length; c++) {
        if (!sums[c * 4 + 3]) continue;
        centres[c] = [sums[c * 4] / sums[c * 4 + 3], sums[c * 4 + 1] / sums[c * 4 + 3], sums[c * 4 + 2] / sums[c * 4 + 3]];
      }
    }
    // Each selected pixel joins its nearest centre's component. Per component: weight, weighted sums of
    // L, a, b, and of the six distinct products (the covariance is symmetric).
    const flat = Float64Array.from(centres.flat());
    const moments = new Float64Array(centres.length * MOMENTS);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] !== side) continue;
      const L = lab[i * 3], a = lab[i * 3 + 1], b = lab[i * 3 + 2];
      const o = nearestCentre(flat, L, a, b) * MOMENTS, wt = extraWeight ? 1 + extraWeight[i] : 1;
      moments[o] += wt;
      moments[o + 1] += wt * L;
      moments[o + 2] += wt * a;
      moments[o + 3] += wt * b;
      moments[o + 4] += wt * L * L;
      moments[o + 5] += wt * L * a;
      moments[o + 6] += wt * L * b;
      moments[o + 7] += wt * a * a;
      moments[o + 8] += wt * a * b;
      moments[o + 9] += wt * b * b;
      total += wt;
    }
    const components: Component[] = [];
    for (let o = 0; o < moments.length; o += MOMENTS) {
      const sw = moments[o];
      if (sw <= 0) continue;
      const mean: [number, number, number] = [moments[o + 1] / sw, moments[o + 2] / sw, moments[o + 3] / sw];
      // Row-major second moments, mirrored from the upper triangle.
      const ss = [moments[o + 4], moments[o + 5], moments[o + 6], moments[o + 5], moments[o + 7], moments[o + 8], moments[o + 6], moments[o + 8], moments[o + 9]];
      const cov = new Float64Array(9);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cov[r * 3 + c] = ss[r * 3 + c] / sw - mean[r] * mean[c] + (r === c ? REGULARISE : 0);
      const det = det3(cov);
      if (!(det > 1e-9)) continue;
      const weight = sw / total;
      components.push({ weight, mean, inv: inverse3(cov, det), offset: -Math.log(weight) + 0.5 * Math.log(det) + 1.5 * Math.log(2 * Math.PI) });
    }
    return components.length ? new ColourGmm(components) : null;
  }

  /** -ln p(colour) of every pixel from index `from` on. */
  costs(lab: LabPlane, from = 0): Float32Array {
    const n = lab.length / 3;
    const out = new Float32Array(n - from);
    const k = this.components.length;
    const p = this.packed();
    const e = new Float64Array(k);
    for (let i = from; i < n; i++) {
      const L = lab[i * 3], a = lab[i * 3 + 1], b = lab[i * 3 + 2];
      // log-sum-exp over the components, anchored at the nearest one for precision.
      let best = Infinity, nearest = 0;
      for (let c = 0, o = 0; c < k; c++, o += PACKED) {
        const x = L - p[o + 1], y = a - p[o + 2], z = b - p[o + 3];
        // The inverse covariance is symmetric: six distinct entries.
        const d2 = p[o + 4] * x * x + p[o + 5] * y * y + p[o + 6] * z * z + 2 * (p[o + 7] * x * y + p[o + 8] * x * z + p[o + 9] * y * z);
        const cost = p[o] + 0.5 * d2;
        e[c] = cost;
        if (cost < best) {
          best = cost;
          nearest = c;
        }
      }
      // The nearest component adds exp(0) = 1; one more than 10 nats away adds under 5e-5, a thousandth of the
      // cuts' capacity step (1/16 nat): its exp is skipped.
      let s = 1;
      for (let c = 0; c < k; c++) if (c !== nearest && e[c] - best < 10) s += Math.exp(best - e[c]);
      out[i - from] = s === 1 ? best : best - Math.log(s);
    }
    return out;
  }

  /** The components flattened for the per-pixel loop: offset, mean (3), inverse covariance's six distinct entries. */
  private packed(): Float64Array {
    const p = new Float64Array(this.components.length * PACKED);
    this.components.forEach((c, k) => {
      const q = c.inv;
      p.set([c.offset, c.mean[0], c.mean[1], c.mean[2], q[0], q[4], q[8], q[1], q[2], q[5]], k * PACKED);
    });
    return p;
  }
}

/** Numbers per component in ColourGmm.packed(). */
const PACKED = 10;
/** Sums per component in ColourGmm.fit(): weight, three means, six second moments. */
const MOMENTS = 10;

export function labPlane(rgb: Uint8Array, n: number, toLab: (r: number, g: number, b: number, out: Float32Array, o: number) => void): LabPlane {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) toLab(rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], out, i * 3);
  return out;
}

/** Farthest-point seeding from the mean: deterministic and spread over the colours present. */
function seedCentres(lab: LabPlane, idx: Int32Array): Array<[number, number, number]> {
  let L = 0, a = 0, b = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    L += lab[i * 3];
    a += lab[i * 3 + 1];
    b += lab[i * 3 + 2];
  }
  const centres: Array<[number, number, number]> = [[L / idx.length, a / idx.length, b / idx.length]];
  const nearest = new Float64Array(idx.length).fill(Infinity), scratch = new Float64Array(idx.length);
  // The farthest points are outliers: each new centre is the 95th percentile of distance to the nearest centre.
  while (centres.length < COMPONENTS) {
    const c = centres[centres.length - 1];
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const d = (lab[i * 3] - c[0]) ** 2 + (lab[i * 3 + 1] - c[1]) ** 2 + (lab[i * 3 + 2] - c[2]) ** 2;
      if (d < nearest[k]) nearest[k] = d;
    }
    scratch.set(nearest);
    const target = kthSmallest(scratch, Math.floor(0.95 * (nearest.length - 1)));
    let pick = 0;
    for (let k = 0; k < idx.length; k++) if (nearest[k] >= target) {
      pick = k;
      break;
    }
    const i = idx[pick];
    centres.push([lab[i * 3], lab[i * 3 + 1], lab[i * 3 + 2]]);
  }
  return centres;
}

function assignNearest(lab: LabPlane, idx: Int32Array, centres: Array<[number, number, number]>, assign: Uint8Array): void {
  const flat = Float64Array.from(centres.flat());
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j] * 3;
    assign[j] = nearestCentre(flat, lab[i], lab[i + 1], lab[i + 2]);
  }
}

/** Index of the centre (flattened L, a, b triples) nearest to the colour; the first on a tie. */
function nearestCentre(flat: Float64Array, L: number, a: number, b: number): number {
  let best = 0, bestD = Infinity;
  for (let c = 0, o = 0; o < flat.length; c++, o += 3) {
    const dL = L - flat[o], da = a - flat[o + 1], db = b - flat[o + 2];
    const d = dL * dL + da * da + db * db;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function det3(m: Float64Array): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

function inverse3(m: Float64Array, det: number): Float64Array {
  const r = new Float64Array(9);
  r[0] = (m[4] * m[8] - m[5] * m[7]) / det;
  r[1] = (m[2] * m[7] - m[1] * m[8]) / det;
  r[2] = (m[1] * m[5] - m[2] * m[4]) / det;
  r[3] = (m[5] * m[6] - m[3] * m[8]) / det;
  r[4] = (m[0] * m[8] - m[2] * m[6]) / det;
  r[5] = (m[2] * m[3] - m[0] * m[5]) / det;
  r[6] = (m[3] * m[7] - m[4] * m[6]) / det;
  r[7] = (m[1] * m[6] - m[0] * m[7]) / det;
  r[8] = (m[0] * m[4] - m[1] * m[3]) / det;
  return r;
}
