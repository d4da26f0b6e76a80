import { edgeWindow } from '../image/edge-window';
import { boxBlur } from '../image/mask-ops';
import { footprint, type PlacedProduct } from './placed-product';

/** Shadow layers are built on a grid this many times coarser than the frame: they are all blur. */
const GRID = 8;

/**
 * Darkens the canvas with a studio shadow under the product: a tight contact line where it touches
 * the floor, a wider soft penumbra, and a faint blurred copy of the silhouette (light from the front,
 * slightly above). Multiplicative, so it keeps the backdrop's hue; it is exactly zero beyond the blur
 * support, so a white backdrop stays 255 away from the product.
 */
export function applyStudioShadow(canvas: Buffer, W: number, H: number, p: PlacedProduct, opacity: number): void {
  if (opacity <= 0) return;
  const { width: tw, height: th, left, top, rgba } = p;
  const foot = footprint(p);
  const footW = foot.x1 - foot.x0 + 1;
  const cx = left + (foot.x0 + foot.x1 + 1) / 2;
  const baseY = top + foot.baseRow + 1;
  const rx = Math.max(footW / 2, 0.1 * tw);
  const penumbraRx = rx * 1.1 + 0.02 * tw;
  const layers = [
    // contact line: narrow and dark
    { rx, ry: Math.max(3, 0.03 * rx), sigma: Math.max(1.5, 0.006 * tw), strength: 0.9 },
    // penumbra: wider, softer
    { rx: penumbraRx, ry: Math.max(6, 0.1 * penumbraRx), sigma: Math.max(3, 0.05 * penumbraRx), strength: 0.5 },
  ];
  const dropSigma = 0.02 * Math.max(tw, th);
  const dropDy = 0.015 * th;

  const pad = Math.ceil(3 * Math.max(dropSigma, layers[1].sigma) + layers[1].ry + dropDy) + GRID;
  const rx0 = Math.max(0, Math.floor(Math.min(left, cx - layers[1].rx) - pad));
  const ry0 = Math.max(0, Math.floor(top - pad));
  const rx1 = Math.min(W, Math.ceil(Math.max(left + tw, cx + layers[1].rx) + pad));
  const ry1 = Math.min(H, Math.ceil(Math.max(top + th, baseY + layers[1].ry) + pad));
  const gw = Math.ceil((rx1 - rx0) / GRID) + 1, gh = Math.ceil((ry1 - ry0) / GRID) + 1;

  // Silhouette coverage per grid cell (also tells which cells the opaque product hides anyway).
  const sil = new Float32Array(gw * gh);
  const opaque = new Uint16Array(gw * gh);
  // Product columns per grid column: colOf is monotonic, so each grid column is one run of x.
  const runStart = new Int32Array(gw + 1).fill(-1);
  const runEnd = new Int32Array(gw + 1);
  for (let x = 0; x < tw; x++) {
    const gx = Math.floor((left + x - rx0) / GRID);
    if (gx < 0 || gx >= gw) continue;
    if (runStart[gx] < 0) runStart[gx] = x;
    runEnd[gx] = x + 1;
  }
  const unit = 1 / (255 * GRID * GRID);
  for (let y = 0; y < th; y++) {
    const gy = Math.floor((top + y + dropDy - ry0) / GRID);
    const cy = Math.floor((top + y - ry0) / GRID);
    const silRow = gy >= 0 && gy < gh ? gy * gw : -1;
    const opRow = cy >= 0 && cy < gh ? cy * gw : -1;
    if (silRow < 0 && opRow < 0) continue;
    coverageRow(rgba, y * tw * 4 + 3, runStart, runEnd, gw, sil, silRow, opaque, opRow, unit);
  }
  const map = gaussian(sil, gw, gh, dropSigma / GRID);
  // The silhouette shadow only shows low down, where the product nears the floor (light from the
  // front and above); near the top it would read as a glow around a sticker.
  for (let gy = 0; gy < gh; gy++) {
    const t = (ry0 + gy * GRID - (top + 0.45 * th)) / (0.55 * th);
    const k = 0.3 * smoothstep(t);
    for (let gx = 0, i = gy * gw; gx < gw; gx++, i++) map[i] = Math.min(1, map[i]) * k;
  }
  for (const l of layers) {
    // Each ellipse is blurred on a strip of grid rows around the base line only.
    const reach = l.ry + 3 * l.sigma + GRID;
    const s0 = clampInt(Math.floor((baseY - reach - ry0) / GRID), 0, gh - 1);
    const s1 = clampInt(Math.ceil((baseY + reach - ry0) / GRID), 0, gh - 1);
    const sh = s1 - s0 + 1;
    const e = new Float32Array(gw * sh);
    for (let j = 0; j < sh; j++) {
      const dy = (ry0 + (s0 + j) * GRID - baseY) / l.ry;
      if (Math.abs(dy) > 1) continue;
      const half = l.rx * Math.sqrt(1 - dy * dy);
      for (let gx = 0; gx < gw; gx++) if (Math.abs(rx0 + gx * GRID - cx) <= half) e[j * gw + gx] = 1;
    }
    const blurred = gaussian(e, gw, sh, l.sigma / GRID);
    for (let j = 0, o = s0 * gw; j < blurred.length; j++, o++) {
      // Occlusions multiply: 1 - (1-a)(1-b).
      map[o] = 1 - (1 - map[o]) * (1 - Math.min(1, blurred[j]) * l.strength);
    }
  }

  // Fade to nothing at the frame's edges: the shadow of a wide product never reaches the border,
  // so borders and corners stay exactly the backdrop colour.
  const winX = edgeWindow(W), winY = edgeWindow(H);
  const full = GRID * GRID;
  const minVisible = 0.5 / 255 / opacity;
  for (let gy = 0; gy + 1 < gh; gy++) {
    for (let gx = 0; gx + 1 < gw; gx++) {
      if (opaque[gy * gw + gx] === full) continue;
      const m00 = map[gy * gw + gx], m01 = map[gy * gw + gx + 1], m10 = map[(gy + 1) * gw + gx], m11 = map[(gy + 1) * gw + gx + 1];
      if (m00 < minVisible && m01 < minVisible && m10 < minVisible && m11 < minVisible) continue;
      for (let j = 0; j < GRID; j++) {
        const y = ry0 + gy * GRID + j;
        if (y >= ry1) break;
        const ty = j / GRID;
        const a = m00 + (m10 - m00) * ty, b = m01 + (m11 - m01) * ty;
        for (let i = 0; i < GRID; i++) {
          const x = rx0 + gx * GRID + i;
          if (x >= rx1) break;
          const keep = 1 - opacity * (a + (b - a) * (i / GRID)) * winX[x] * winY[y];
          const o = (y * W + x) * 3;
          canvas[o] = Math.round(canvas[o] * keep);
          canvas[o + 1] = Math.round(canvas[o + 1] * keep);
          canvas[o + 2] = Math.round(canvas[o + 2] * keep);
        }
      }
    }
  }
}

/** One product row into the grid: summed alpha (coverage) and fully opaque pixel counts per cell. */
function coverageRow(rgba: Buffer, q0: number, runStart: Int32Array, runEnd: Int32Array, gw: number, sil: Float32Array, silRow: number, opaque: Uint16Array, opRow: number, unit: number): void {
  for (let gx = 0; gx < gw; gx++) {
    const xs = runStart[gx];
    if (xs < 0) continue;
    const xe = runEnd[gx];
    let sum = 0, full = 0;
    for (let x = xs, q = q0 + xs * 4; x < xe; x++, q += 4) {
      const a = rgba[q];
      sum += a;
      full += a === 255 ? 1 : 0;
    }
    if (silRow >= 0 && sum) sil[silRow + gx] += sum * unit;
    if (opRow >= 0) opaque[opRow + gx] += full;
  }
}

/** Gaussian blur approximated by three box blurs (sigma in grid units). */
function gaussian(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const r = Math.max(0, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
  if (r === 0) return src;
  return boxBlur(boxBlur(boxBlur(src, w, h, r), w, h, r), w, h, r);
}

function smoothstep(t: number): number {
  const c = t < 0 ? 0 : t > 1 ? 1 : t;
  return c * c * (3 - 2 * c);
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
