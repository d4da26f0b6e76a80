import { boxBlur, boxCount } from './mask-ops';

/**
 * The product's local colour just inside its edge: a normalised convolution of the colours of
 * eroded product pixels, on a grid half the size of the analysis copy (colour varies slowly).
 * Used to matte edges and to take the backdrop colour out of semi-transparent edge pixels.
 */
export class ForegroundColour {
  private constructor(
    /** Interleaved blurred sums: r·w, g·w, b·w, w. */
    private readonly sums: Float32Array,
    private readonly width: number,
    private readonly height: number,
  ) {}

  static estimate(small: Uint8Array, fg: Uint8Array, w: number, h: number): ForegroundColour {
    // Only pixels 2 px inside the product: edge pixels are already mixed with the backdrop.
    const core = boxCount(fg, w, h, 2);
    const gw = Math.max(1, w >> 1), gh = Math.max(1, h >> 1);
    const sums = new Float32Array(gw * gh * 4);
    for (let y = 0; y < h; y++) {
      const gy = Math.min(gh - 1, y >> 1);
      for (let x = 0, i = y * w; x < w; x++, i++) {
        if (core[i] !== 25) continue;
        const o = (gy * gw + Math.min(gw - 1, x >> 1)) * 4;
        sums[o] += small[i * 3];
        sums[o + 1] += small[i * 3 + 1];
        sums[o + 2] += small[i * 3 + 2];
        sums[o + 3] += 1;
      }
    }
    return new ForegroundColour(boxBlur(sums, gw, gh, 2, 4), gw, gh);
  }

  /** Bilinear sample at normalised (u, v) in [0,1] into out[0..2]; false where no product is near. */
  sample(u: number, v: number, out: Float64Array): boolean {
    const w = this.width, h = this.height, s = this.sums;
    const fx = Math.min(Math.max(u * w - 0.5, 0), w - 1);
    const fy = Math.min(Math.max(v * h - 0.5, 0), h - 1);
    const x0 = fx | 0, y0 = fy | 0;
    const x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    const tx = fx - x0, ty = fy - y0;
    const i00 = (y0 * w + x0) * 4, i01 = (y0 * w + x1) * 4, i10 = (y1 * w + x0) * 4, i11 = (y1 * w + x1) * 4;
    const k00 = (1 - tx) * (1 - ty), k01 = tx * (1 - ty), k10 = (1 - tx) * ty, k11 = tx * ty;
    const wt = s[i00 + 3] * k00 + s[i01 + 3] * k01 + s[i10 + 3] * k10 + s[i11 + 3] * k11;
    if (wt < 1e-3) return false;
    for (let c = 0; c < 3; c++) out[c] = (s[i00 + c] * k00 + s[i01 + c] * k01 + s[i10 + c] * k10 + s[i11 + c] * k11) / wt;
    return true;
  }
}
