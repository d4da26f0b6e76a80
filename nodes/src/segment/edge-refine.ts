import { rowPolynomials, type BackgroundModel } from '../image/background-model';
import type { ForegroundColour } from '../image/foreground-colour';
import type { RawImage } from '../image/raw-image';

/**
 * Upsamples the soft coarse mask to full resolution and refines its ramp (the edge band).
 * Works cell by cell: a cell whose four coarse corners are all 0 or all 255 is skipped or filled,
 * so only the band costs per-pixel work. In the band each pixel is projected onto the line from the
 * backdrop colour to the local product colour (alpha matting); the coarse value bounds the result
 * near the band edges so detail inside the product (a label near the edge) cannot punch holes.
 * Without a backdrop model (null: the smooth model does not describe a cloth or wood behind the edge,
 * and projecting onto it eats thin parts) the ramp is upsampled as it is.
 */
export function upsampleAndRefine(img: RawImage, soft: Uint8Array, aw: number, ah: number, m: BackgroundModel | null, fgc: ForegroundColour): Uint8Array {
  const { width: W, height: H, channels: C, data } = img;
  const alpha = new Uint8Array(W * H);
  // Full-res x → coarse sample positions (pixel-centre aligned), and where each coarse cell starts.
  const x0s = new Int32Array(W), txs = new Float32Array(W);
  for (let x = 0; x < W; x++) {
    const fx = Math.min(Math.max(((x + 0.5) * aw) / W - 0.5, 0), aw - 1);
    x0s[x] = Math.min(fx | 0, Math.max(0, aw - 2));
    txs[x] = fx - x0s[x];
  }
  const cellStart = new Int32Array(aw + 1).fill(W);
  for (let x = W - 1; x >= 0; x--) cellStart[x0s[x]] = x;
  for (let c = aw - 1; c >= 0; c--) if (cellStart[c] > cellStart[c + 1]) cellStart[c] = cellStart[c + 1];
  const x1off = aw > 1 ? 1 : 0;

  const poly = new Float64Array(18);
  const f = new Float64Array(3);
  for (let y = 0; y < H; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * ah) / H - 0.5, 0), ah - 1);
    const y0 = Math.min(fy | 0, Math.max(0, ah - 2));
    const ty = fy - y0;
    const r0 = y0 * aw, r1 = Math.min(y0 + 1, ah - 1) * aw;
    const row = y * W;
    let rowReady = false;
    let solidFrom = -1; // start of a run of fully opaque cells, filled in one call
    for (let cx = 0; cx < aw; cx++) {
      const xs = cellStart[cx], xe = cellStart[cx + 1];
      if (xs >= xe) continue;
      const a = soft[r0 + cx], b = soft[r0 + cx + x1off], c = soft[r1 + cx], d = soft[r1 + cx + x1off];
      if ((a & b & c & d) === 255) {
        if (solidFrom < 0) solidFrom = xs;
        continue;
      }
      if (solidFrom >= 0) {
        alpha.fill(255, row + solidFrom, row + xs);
        solidFrom = -1;
      }
      if ((a | b | c | d) === 0) continue;
      if (!rowReady && m) {
        rowPolynomials(m, H > 1 ? y / (H - 1) : 0.5, poly);
        rowReady = true;
      }
      const top0 = a + (c - a) * ty, top1 = b + (d - b) * ty;
      for (let x = xs; x < xe; x++) {
        const p = (top0 + (top1 - top0) * txs[x]) / 255;
        alpha[row + x] = Math.round(refinePixel(p, x, y) * 255);
      }
    }
    if (solidFrom >= 0) alpha.fill(255, row + solidFrom, row + W);
  }
  return alpha;

  function refinePixel(p: number, x: number, y: number): number {
    if (!m || p <= 0 || p >= 1 || !fgc.sample((x + 0.5) / W, (y + 0.5) / H, f)) return p;
    const u = W > 1 ? (2 * x) / (W - 1) - 1 : 0;
    const bR = poly[9] + u * (poly[10] + u * poly[11]);
    const bG = poly[12] + u * (poly[13] + u * poly[14]);
    const bB = poly[15] + u * (poly[16] + u * poly[17]);
    const fr = f[0] - bR, fg = f[1] - bG, fb = f[2] - bB;
    const denom = fr * fr + fg * fg + fb * fb;
    if (denom <= 144) return p; // product colour too close to the backdrop to matte
    const q = (y * W + x) * C;
    const cr = data[q], cg = data[q + 1], cb = data[q + 2];
    const am = ((cr - bR) * fr + (cg - bG) * fg + (cb - bB) * fb) / denom;
    if (isShadow(cr, cg, cb, bR, bG, bB, fr, fg, fb, clamp01(am))) return 0;
    const matte = clamp01((am - 0.15) / 0.7);
    const trust = clamp01((Math.sqrt(denom) - 12) / 20);
    const lo = clamp01((p - 0.75) / 0.25), hi = clamp01(p / 0.25);
    return trust * Math.min(hi, Math.max(lo, matte)) + (1 - trust) * p;
  }
}

/**
 * A pixel that is the backdrop darkened (C = kB) explains itself better as shadow than as a mix of
 * backdrop and this product colour: a contact shadow hugging a coloured product's base. For a
 * neutral product the two explanations coincide and the pixel stays product.
 */
function isShadow(cr: number, cg: number, cb: number, bR: number, bG: number, bB: number, fr: number, fg: number, fb: number, a: number): boolean {
  const bb = bR * bR + bG * bG + bB * bB;
  if (bb < 1) return false;
  const k = (cr * bR + cg * bG + cb * bB) / bb;
  if (k > 0.97 || k < 0.25) return false;
  const sr = cr - k * bR, sg = cg - k * bG, sb = cb - k * bB;
  const mr = cr - bR - a * fr, mg = cg - bG - a * fg, mb = cb - bB - a * fb;
  const shadowErr = sr * sr + sg * sg + sb * sb, mixErr = mr * mr + mg * mg + mb * mb;
  return mixErr > 12 * 12 && shadowErr * 2.5 < mixErr;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
