/** sRGB (8-bit) to CIE Lab (D65), planar Float32 output. Lookup tables keep it cheap per pixel. */

const LINEAR = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function f(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

export interface LabPlanes {
  L: Float32Array;
  a: Float32Array;
  b: Float32Array;
}

export function rgbToLab(r: number, g: number, b: number, out: Float32Array | number[], o = 0): void {
  const R = LINEAR[r], G = LINEAR[g], B = LINEAR[b];
  const fx = f((0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047);
  const fy = f(0.2126729 * R + 0.7151522 * G + 0.072175 * B);
  const fz = f((0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** Converts interleaved RGB(A) pixels to Lab planes. */
export function toLabPlanes(data: Uint8Array, pixels: number, channels: number): LabPlanes {
  const L = new Float32Array(pixels), a = new Float32Array(pixels), b = new Float32Array(pixels);
  const tmp = new Float32Array(3);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    rgbToLab(data[p], data[p + 1], data[p + 2], tmp);
    L[i] = tmp[0];
    a[i] = tmp[1];
    b[i] = tmp[2];
  }
  return { L, a, b };
}
