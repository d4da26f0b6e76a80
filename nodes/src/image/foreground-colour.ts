import { boxBlur } from './mask-ops';

/**
 * The product's local colour just inside its edge, on the reduced grid: a normalised convolution of
 * the colours of eroded product pixels. Used to matte edges and to remove backdrop colour from
 * semi-transparent edge pixels (no light halo on a dark backdrop).
 */
export class ForegroundColour {
  private constructor(
    private readonly rgb: Float32Array,
    private readonly weight: Float32Array,
    private readonly width: number,
    private readonly height: number,
  ) {}

  static estimate(small: Uint8Array, fg: Uint8Array, w: number, h: number, radius = 4): ForegroundColour {
    const n = w * h;
    // Erode by 2 so edge pixels (already mixed with the backdrop) do not feed the estimate.
    const core = boxBlur(Float32Array.from(fg), w, h, 2);
    const wgt = new Float32Array(n);
    for (let i = 0; i < n; i++) wgt[i] = core[i] > 0.999 ? 1 : 0;
    const planes = [0, 1, 2].map((c) => {
      const p = new Float32Array(n);
      for (let i = 0; i < n; i++) p[i] = small[i * 3 + c] * wgt[i];
      return boxBlur(p, w, h, radius);
    });
    const wsum = boxBlur(wgt, w, h, radius);
    const rgb = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const s = wsum[i];
      if (s > 1e-3) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = planes[c][i] / s;
    }
    return new ForegroundColour(rgb, wsum, w, h);
  }

  /** Bilinear sample at normalised (u, v) in [0,1]; false where no product pixel is near. */
  sample(u: number, v: number, out: Float64Array): boolean {
    const { width: w, height: h } = this;
    const fx = Math.min(Math.max(u * w - 0.5, 0), w - 1);
    const fy = Math.min(Math.max(v * h - 0.5, 0), h - 1);
    const x0 = Math.floor(fx), y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
    const tx = fx - x0, ty = fy - y0;
    let r = 0, g = 0, b = 0, wt = 0;
    const corners = [
      [y0 * w + x0, (1 - tx) * (1 - ty)],
      [y0 * w + x1, tx * (1 - ty)],
      [y1 * w + x0, (1 - tx) * ty],
      [y1 * w + x1, tx * ty],
    ] as const;
    for (const [i, k] of corners) {
      if (this.weight[i] <= 1e-3 || k === 0) continue;
      r += this.rgb[i * 3] * k;
      g += this.rgb[i * 3 + 1] * k;
      b += this.rgb[i * 3 + 2] * k;
      wt += k;
    }
    if (wt < 1e-6) return false;
    out[0] = r / wt;
    out[1] = g / wt;
    out[2] = b / wt;
    return true;
  }
}
