import type { RawImage } from './raw-image';

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
  const vals: number[][] = [[], [], []];
  for (let i = 0; i < length; i += step) {
    const q = offset(i);
    for (let c = 0; c < 3; c++) vals[c].push(data[q + (grey ? 0 : c)]);
  }
  const median = vals.map((v) => [...v].sort((a, b) => a - b)[v.length >> 1]) as [number, number, number];
  let close = 0;
  for (let j = 0; j < vals[0].length; j++) if (Math.max(...[0, 1, 2].map((c) => Math.abs(vals[c][j] - median[c]))) <= UNIFORM_TOL) close++;
  return { median, uniform: close >= 0.9 * vals[0].length };
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
}
