import type { RawImage } from '../image/raw-image';

export interface Border {
  /** Border width per side in px (0 = none). */
  top: number;
  right: number;
  bottom: number;
  left: number;
  /** Sides with a border. */
  sides: number;
  colour: [number, number, number] | null;
}

const UNIFORM_TOL = 12;
const STEP = 24;

/**
 * A frame drawn around the picture: on a side, a run of uniform lines (rows or columns) no deeper
 * than 4% of the image, then a step to a different, still uniform line (the backdrop inside).
 * A gradient backdrop drifts line by line without a step; a product edge is not uniform.
 */
export function detectBorder(img: RawImage): Border {
  const { width: W, height: H } = img;
  const top = side(img, H, W, (k, i) => pixel(img, i, k), Math.round(0.04 * H));
  const bottom = side(img, H, W, (k, i) => pixel(img, i, H - 1 - k), Math.round(0.04 * H));
  const left = side(img, W, H, (k, i) => pixel(img, k, i), Math.round(0.04 * W));
  const right = side(img, W, H, (k, i) => pixel(img, W - 1 - k, i), Math.round(0.04 * W));
  const found = [top, right, bottom, left].filter((s) => s.width > 0);
  return {
    top: top.width,
    right: right.width,
    bottom: bottom.width,
    left: left.width,
    sides: found.length,
    colour: found[0]?.colour ?? null,
  };
}

function pixel(img: RawImage, x: number, y: number): number {
  return (y * img.width + x) * img.channels;
}

/** Line k (0 = outermost) of a side, `length` samples long; at(k, i) gives the byte offset of sample i. */
function side(img: RawImage, depth: number, length: number, at: (k: number, i: number) => number, maxWidth: number): { width: number; colour: [number, number, number] | null } {
  const first = line(img, length, (i) => at(0, i));
  if (!first.uniform) return { width: 0, colour: null };
  let prev = first.median;
  for (let k = 1; k <= Math.min(maxWidth, depth - 2); k++) {
    const cur = line(img, length, (i) => at(k, i));
    if (cur.uniform && distance(cur.median, prev) <= UNIFORM_TOL / 2 && distance(cur.median, first.median) <= UNIFORM_TOL) {
      prev = cur.median;
      continue;
    }
    // The run ended: a border only if the next line is a different uniform colour (a step, not a drift).
    const stepped = distance(cur.median, prev) > STEP;
    if (stepped && cur.uniform) return { width: k, colour: first.median };
    return { width: 0, colour: null };
  }
  return { width: 0, colour: null };
}

function line(img: RawImage, length: number, offset: (i: number) => number): { median: [number, number, number]; uniform: boolean } {
  const { data, channels: C } = img;
  const grey = C < 3;
  const step = Math.max(1, Math.floor(length / 400));
  const n = Math.ceil(length / step);
  const v0 = new Uint8Array(n), v1 = new Uint8Array(n), v2 = new Uint8Array(n);
  for (let i = 0, j = 0; i < length; i += step, j++) {
    const q = offset(i);
    v0[j] = data[q];
    v1[j] = data[q + (grey ? 0 : 1)];
    v2[j] = data[q + (grey ? 0 : 2)];
  }
  const median: [number, number, number] = [middle(v0), middle(v1), middle(v2)];
  const m0 = median[0], m1 = median[1], m2 = median[2];
  let close = 0;
  for (let j = 0; j < n; j++) {
    const d0 = v0[j] - m0, d1 = v1[j] - m1, d2 = v2[j] - m2;
    if ((d0 < 0 ? -d0 : d0) <= UNIFORM_TOL && (d1 < 0 ? -d1 : d1) <= UNIFORM_TOL && (d2 < 0 ? -d2 : d2) <= UNIFORM_TOL) close++;
  }
  return { median, uniform: close >= 0.9 * n };
}

/** The upper median (element n/2 of the sorted values), by counting. */
function middle(v: Uint8Array): number {
  const hist = new Uint32Array(256);
  for (let j = 0; j < v.length; j++) hist[v[j]]++;
  const want = v.length >> 1;
  let acc = 0;
  for (let x = 0; x < 256; x++) if ((acc += hist[x]) > want) return x;
  return 255;
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}
