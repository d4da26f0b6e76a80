import type { Rgb } from '../image/hex-colour';

export type BackdropKind = 'white' | 'solid' | 'sweep' | 'gradient';

export interface BackdropSpec {
  kind: BackdropKind;
  /** The colour near the product: the floor of a sweep, the centre of a gradient. */
  color: Rgb;
  /** The far colour: the top of a sweep's wall, the rim of a gradient. */
  secondColor: Rgb;
  /** Frame row where the product stands (sweep horizon) and the product centre (gradient). */
  horizonY: number;
  centerY: number;
}

/** An RGB canvas. White is exactly 255 everywhere: marketplaces check for pure white. */
export function makeBackdrop(W: number, H: number, spec: BackdropSpec): Buffer {
  if (spec.kind === 'white') return Buffer.alloc(W * H * 3, 255);
  if (spec.kind === 'solid') return Buffer.alloc(W * H * 3).fill(Buffer.from(spec.color));
  const out = Buffer.allocUnsafe(W * H * 3);
  const [r1, g1, b1] = spec.color, [r2, g2, b2] = spec.secondColor;
  if (spec.kind === 'sweep') {
    // A cyclorama: wall at the top curving into the floor just below where the product stands.
    const from = spec.horizonY - 0.45 * H, to = spec.horizonY + 0.03 * H;
    for (let y = 0; y < H; y++) {
      const s = smoothstep((y - from) / Math.max(1, to - from));
      fillRow(out, y, W, r2 + (r1 - r2) * s, g2 + (g1 - g2) * s, b2 + (b1 - b2) * s);
    }
    return out;
  }
  // Radial: a soft pool of light centred on the product.
  const cx = W / 2, cy = spec.centerY, R = 0.75 * Math.hypot(W, H) / 2;
  for (let y = 0; y < H; y++) {
    const dy2 = (y - cy) * (y - cy);
    for (let x = 0, o = y * W * 3; x < W; x++, o += 3) {
      const t = Math.min(1, Math.sqrt((x - cx) * (x - cx) + dy2) / R);
      const s = t * t * (3 - 2 * t);
      const d = dither(x, y);
      out[o] = clamp(r1 + (r2 - r1) * s + d);
      out[o + 1] = clamp(g1 + (g2 - g1) * s + d);
      out[o + 2] = clamp(b1 + (b2 - b1) * s + d);
    }
  }
  return out;
}

/** Rows of a smooth gradient, dithered so 8 bits do not show bands. */
function fillRow(out: Buffer, y: number, W: number, r: number, g: number, b: number): void {
  for (let x = 0, o = y * W * 3; x < W; x++, o += 3) {
    const d = dither(x, y);
    out[o] = clamp(r + d);
    out[o + 1] = clamp(g + d);
    out[o + 2] = clamp(b + d);
  }
}

/** Ordered dither in [-0.5, 0.5) from a 4×4 Bayer matrix. */
const BAYER = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5].map((v) => (v + 0.5) / 16 - 0.5);
function dither(x: number, y: number): number {
  return BAYER[((y & 3) << 2) | (x & 3)];
}

function smoothstep(t: number): number {
  const c = t < 0 ? 0 : t > 1 ? 1 : t;
  return c * c * (3 - 2 * c);
}

function clamp(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}
