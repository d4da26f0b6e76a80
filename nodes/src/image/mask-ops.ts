/** Binary/soft mask operations on single-channel planes (row-major, width × height). */

/** Separable box blur (window 2r+1, edges clamped) of a float plane with `channels` interleaved channels. */
export function boxBlur(src: Float32Array, width: number, height: number, r: number, channels = 1): Float32Array {
  if (r <= 0) return src.slice();
  if (channels === 1) return boxBlur1(src, width, height, r);
  const C = channels;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const norm = 1 / (2 * r + 1);
  const acc = new Float64Array(C);
  for (let y = 0; y < height; y++) {
    const row = y * width * C;
    acc.fill(0);
    for (let k = -r; k <= r; k++) {
      const o = row + clamp(k, 0, width - 1) * C;
      for (let c = 0; c < C; c++) acc[c] += src[o + c];
    }
    for (let x = 0; x < width; x++) {
      const add = row + Math.min(x + r + 1, width - 1) * C, sub = row + Math.max(x - r, 0) * C, o = row + x * C;
      for (let c = 0; c < C; c++) {
        tmp[o + c] = acc[c] * norm;
        acc[c] += src[add + c] - src[sub + c];
      }
    }
  }
  const stride = width * C;
  for (let x = 0; x < width; x++) {
    const col = x * C;
    acc.fill(0);
    for (let k = -r; k <= r; k++) {
      const o = clamp(k, 0, height - 1) * stride + col;
      for (let c = 0; c < C; c++) acc[c] += tmp[o + c];
    }
    for (let y = 0; y < height; y++) {
      const add = Math.min(y + r + 1, height - 1) * stride + col, sub = Math.max(y - r, 0) * stride + col, o = y * stride + col;
      for (let c = 0; c < C; c++) {
        out[o + c] = acc[c] * norm;
        acc[c] += tmp[add + c] - tmp[sub + c];
      }
    }
  }
  return out;
}

/** boxBlur for one channel: the common case, kept free of the per-channel inner loop. */
function boxBlur1(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const norm = 1 / (2 * r + 1);
  const last = width - 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += src[row + (k < 0 ? 0 : k > last ? last : k)];
    for (let x = 0; x < width; x++) {
      tmp[row + x] = acc * norm;
      const add = x + r + 1, sub = x - r;
      acc += src[row + (add > last ? last : add)] - src[row + (sub < 0 ? 0 : sub)];
    }
  }
  const lastRow = height - 1;
  for (let x = 0; x < width; x++) {
    let acc = 0;
    for (let k = -r; k <= r; k++) acc += tmp[(k < 0 ? 0 : k > lastRow ? lastRow : k) * width + x];
    for (let y = 0; y < height; y++) {
      out[y * width + x] = acc * norm;
      const add = y + r + 1, sub = y - r;
      acc += tmp[(add > lastRow ? lastRow : add) * width + x] - tmp[(sub < 0 ? 0 : sub) * width + x];
    }
  }
  return out;
}

/** Count of set pixels in the (2r+1)² window around each pixel; outside the image counts as unset. */
export function boxCount(mask: Uint8Array, width: number, height: number, r: number): Uint16Array {
  return boxSum(mask, width, height, r, new Uint16Array(mask.length), new Uint16Array(mask.length));
}

/** Sum of an 8-bit plane over the (2r+1)² window around each pixel (zero outside the image). */
export function boxSum<T extends Uint16Array | Uint32Array>(mask: Uint8Array, width: number, height: number, r: number, tmp: T, out: T): T {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    for (let x = 0; x <= Math.min(r, width - 1); x++) acc += mask[row + x];
    for (let x = 0; x < width; x++) {
      tmp[row + x] = acc;
      if (x + r + 1 < width) acc += mask[row + x + r + 1];
      if (x - r >= 0) acc -= mask[row + x - r];
    }
  }
  for (let x = 0; x < width; x++) {
    let acc = 0;
    for (let y = 0; y <= Math.min(r, height - 1); y++) acc += tmp[y * width + x];
    for (let y = 0; y < height; y++) {
      out[y * width + x] = acc;
      if (y + r + 1 < height) acc += tmp[(y + r + 1) * width + x];
      if (y - r >= 0) acc -= tmp[(y - r) * width + x];
    }
  }
  return out;
}

/** Marks (1) every pixel with passable[i] = 1 that is 4-connected to the image border through passable pixels. */
export function floodFromBorder(passable: Uint8Array, width: number, height: number): Uint8Array {
  const reached = new Uint8Array(passable.length);
  const queue = new Int32Array(passable.length);
  let head = 0, tail = 0;
  const push = (i: number) => {
    if (passable[i] && !reached[i]) {
      reached[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    push(y * width);
    push(y * width + width - 1);
  }
  while (head < tail) {
    const i = queue[head++];
    const x = i % width;
    if (x > 0) push(i - 1);
    if (x < width - 1) push(i + 1);
    if (i >= width) push(i - width);
    if (i < passable.length - width) push(i + width);
  }
  return reached;
}

export interface Components {
  /** Component id per pixel, 0 = not in the set. Ids start at 1. */
  labels: Int32Array;
  /** areas[id] = pixel count. */
  areas: number[];
}

/** 4-connected components of the pixels where set[i] is non-zero. */
export function labelComponents(set: Uint8Array, width: number, height: number): Components {
  const labels = new Int32Array(set.length);
  const areas = [0];
  const queue = new Int32Array(set.length);
  for (let s = 0; s < set.length; s++) {
    if (!set[s] || labels[s]) continue;
    const id = areas.length;
    let head = 0, tail = 0, area = 0;
    labels[s] = id;
    queue[tail++] = s;
    while (head < tail) {
      const i = queue[head++];
      area++;
      const x = i % width;
      if (x > 0 && set[i - 1] && !labels[i - 1]) (labels[i - 1] = id), (queue[tail++] = i - 1);
      if (x < width - 1 && set[i + 1] && !labels[i + 1]) (labels[i + 1] = id), (queue[tail++] = i + 1);
      if (i >= width && set[i - width] && !labels[i - width]) (labels[i - width] = id), (queue[tail++] = i - width);
      if (i < set.length - width && set[i + width] && !labels[i + width]) (labels[i + width] = id), (queue[tail++] = i + width);
    }
    areas.push(area);
  }
  void height;
  return { labels, areas };
}

/**
 * Tight bounding box of the pixels above a threshold, or null if none. Rows are scanned inwards
 * from both ends, skipping all-zero 32-bit words: most of a mask is exactly zero.
 */
export function boundingBox(plane: Uint8Array, width: number, height: number, threshold = 0): { x: number; y: number; width: number; height: number } | null {
  const words = plane.byteOffset % 4 === 0 ? new Uint32Array(plane.buffer, plane.byteOffset, plane.length >> 2) : null;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width, end = row + width;
    let i = row;
    // forwards to the first hit
    while (i < end) {
      if (words && (i & 3) === 0 && i + 4 <= end && words[i >> 2] === 0) {
        i += 4;
        continue;
      }
      if (plane[i] > threshold) break;
      i++;
    }
    if (i === end) continue;
    let j = end - 1;
    while (j > i && plane[j] <= threshold) j--;
    if (i - row < x0) x0 = i - row;
    if (j - row > x1) x1 = j - row;
    if (y0 === height) y0 = y;
    y1 = y;
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
