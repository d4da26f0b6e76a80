import sharp from 'sharp';
import { mulberry32 } from './synthetic-product';

/**
 * Deterministic scene backdrops, as a generator might put behind a product: wood, marble, foliage,
 * checks, stripes, and the two flat colours of issue 11 (a cream wall over a brown table). RGB, 8 bit.
 */
export type SceneKind = 'wood' | 'marble' | 'foliage' | 'checks' | 'stripes' | 'wall-table';
export const SCENE_KINDS: readonly SceneKind[] = ['wood', 'marble', 'foliage', 'checks', 'stripes', 'wall-table'];

export interface SceneImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

export async function makeScene(kind: SceneKind, width: number, height: number, seed = 1): Promise<SceneImage> {
  if (kind === 'foliage') return { data: await foliage(width, height, seed), width, height, channels: 3 };
  const noise = valueNoise(seed);
  const data = Buffer.alloc(width * height * 3);
  const paint = PAINTERS[kind](noise, width, height);
  const rgb: [number, number, number] = [0, 0, 0];
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      paint(x, y, rgb);
      data[o] = clamp8(rgb[0]);
      data[o + 1] = clamp8(rgb[1]);
      data[o + 2] = clamp8(rgb[2]);
    }
  }
  return { data, width, height, channels: 3 };
}

type Painter = (x: number, y: number, out: [number, number, number]) => void;
type Noise = (x: number, y: number) => number;

const PAINTERS: Record<Exclude<SceneKind, 'foliage'>, (noise: Noise, w: number, h: number) => Painter> = {
  // Planks of grain: rings bent by low-frequency noise, fine fibres, dark joints.
  wood: (noise, w, h) => (x, y, out) => {
    const plank = Math.floor((y / h) * 5);
    const t = (y / h) * 60 + 5 * fbm(noise, x / 300 + plank * 7, y / 40) + plank * 0.37;
    const ring = 0.5 + 0.5 * Math.sin(2 * Math.PI * t);
    const fibre = fbm(noise, x / 6, y / 90 + plank * 11) - 0.5;
    const joint = (y % Math.ceil(h / 5)) < 3 ? 0.45 : 1;
    const k = (0.25 + 0.55 * ring ** 1.5 + 0.25 * fibre) * joint;
    lerp([96, 58, 30], [186, 134, 86], k, out);
  },
  // White stone with turbulent grey veins.
  marble: (noise, w) => (x, y, out) => {
    const v = Math.abs(Math.sin(x * 0.011 + y * 0.007 + 6 * fbm(noise, x / 180, y / 180)));
    const vein = (1 - v) ** 6;
    const cloud = fbm(noise, x / 60 + 50, y / 60) - 0.5;
    lerp([236, 233, 228], [96, 94, 98], Math.min(1, vein + 0.08 * cloud + 0.04), out);
    void w;
  },
  checks: () => (x, y, out) => {
    const on = (Math.floor(x / 48) + Math.floor(y / 48)) % 2 === 0;
    out[0] = on ? 217 : 91;
    out[1] = on ? 199 : 112;
    out[2] = on ? 163 : 131;
  },
  stripes: () => (x, y, out) => {
    const band = Math.floor((x + y) / 30) % 3;
    const c = band === 0 ? [200, 60, 70] : band === 1 ? [245, 240, 230] : [40, 70, 120];
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
  },
  // Issue 11: two flat colours, the table from 60 % of the height down.
  'wall-table': (_noise, _w, h) => (_x, y, out) => {
    const table = y >= 0.6 * h;
    out[0] = table ? 122 : 239;
    out[1] = table ? 74 : 230;
    out[2] = table ? 42 : 210;
  },
};

/** Overlapping leaves (ellipses of many greens), lightly blurred like a background out of focus. */
async function foliage(w: number, h: number, seed: number): Promise<Buffer> {
  const rnd = mulberry32(seed * 31 + 5);
  const leaves: string[] = [];
  for (let i = 0; i < 420; i++) {
    const g = 60 + Math.floor(rnd() * 120);
    const fill = `rgb(${Math.floor(g * (0.2 + rnd() * 0.4))},${g},${Math.floor(g * (0.15 + rnd() * 0.35))})`;
    const rx = 12 + rnd() * 50, ry = rx * (0.35 + rnd() * 0.4);
    leaves.push(`<ellipse cx="${(rnd() * w).toFixed(1)}" cy="${(rnd() * h).toFixed(1)}" rx="${rx.toFixed(1)}" ry="${ry.toFixed(1)}" transform="rotate(${(rnd() * 180).toFixed(0)} ${(rnd() * w).toFixed(1)} ${(rnd() * h).toFixed(1)})" fill="${fill}" opacity="0.92"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#1d3b22"/>${leaves.join('')}</svg>`;
  return sharp(Buffer.from(svg)).blur(1.2).removeAlpha().raw().toBuffer();
}

/** Smooth value noise in [0,1] on a unit lattice (bilinear with smoothstep). */
export function valueNoise(seed: number): Noise {
  const rnd = mulberry32(seed * 104729 + 3);
  const N = 256;
  const table = new Float32Array(N * N);
  for (let i = 0; i < table.length; i++) table[i] = rnd();
  const at = (x: number, y: number) => table[((y & (N - 1)) * N) + (x & (N - 1))];
  return (x, y) => {
    const ix = Math.floor(x), iy = Math.floor(y);
    const fx = x - ix, fy = y - iy;
    const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
    const a = at(ix, iy) + (at(ix + 1, iy) - at(ix, iy)) * sx;
    const b = at(ix, iy + 1) + (at(ix + 1, iy + 1) - at(ix, iy + 1)) * sx;
    return a + (b - a) * sy;
  };
}

/** Four octaves of value noise, in [0,1]. */
export function fbm(noise: Noise, x: number, y: number): number {
  let sum = 0, amp = 0.5, f = 1;
  for (let o = 0; o < 4; o++, amp /= 2, f *= 2) sum += amp * noise(x * f, y * f);
  return sum / 0.9375;
}

function lerp(a: number[], b: number[], k: number, out: [number, number, number]): void {
  const t = k < 0 ? 0 : k > 1 ? 1 : k;
  out[0] = a[0] + (b[0] - a[0]) * t;
  out[1] = a[1] + (b[1] - a[1]) * t;
  out[2] = a[2] + (b[2] - a[2]) * t;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
