/** sRGB (8-bit) to CIE Lab (D65). Lookup tables keep it cheap enough to run per pixel. */

const LINEAR = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

const EPS = 216 / 24389;
const KAPPA = 24389 / 27;
/** f(t) tabulated on [0, 1.1] (X/Xn and Z/Zn can slightly exceed 1); linear interpolation. */
const F_STEPS = 8192;
const F_MAX = 1.1;
const F_TABLE = new Float32Array(F_STEPS + 2);
for (let i = 0; i <= F_STEPS + 1; i++) {
  const t = (i / F_STEPS) * F_MAX;
  F_TABLE[i] = t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

function f(t: number): number {
  const s = (t / F_MAX) * F_STEPS;
  const i = s | 0;
  const k = s - i;
  return F_TABLE[i] + (F_TABLE[i + 1] - F_TABLE[i]) * k;
}

/** Writes L, a, b of one 8-bit sRGB colour into out[o..o+2]. */
export function rgbToLab(r: number, g: number, b: number, out: Float32Array | Float64Array, o = 0): void {
  const R = LINEAR[r], G = LINEAR[g], B = LINEAR[b];
  const fx = f((0.4124564 * R + 0.3575761 * G + 0.1804375 * B) * (1 / 0.95047));
  const fy = f(0.2126729 * R + 0.7151522 * G + 0.072175 * B);
  const fz = f((0.0193339 * R + 0.119192 * G + 0.9503041 * B) * (1 / 1.08883));
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** Linear light [0,1] to 8-bit sRGB, tabulated finely enough that the round trip is exact. */
const ENCODE_STEPS = 16384;
const ENCODE = new Uint8Array(ENCODE_STEPS + 1);
for (let i = 0; i <= ENCODE_STEPS; i++) {
  const c = i / ENCODE_STEPS;
  ENCODE[i] = Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055));
}

function encode(linear: number): number {
  return linear <= 0 ? 0 : linear >= 1 ? 255 : ENCODE[Math.round(linear * ENCODE_STEPS)];
}

function finv(t: number): number {
  const t3 = t * t * t;
  return t3 > EPS ? t3 : (116 * t - 16) / KAPPA;
}

/** Writes the 8-bit sRGB colour (clipped to the gamut) of L, a, b (D65) into out[o..o+2]. */
export function labToRgb(L: number, a: number, b: number, out: Uint8Array | Buffer, o = 0): void {
  const fy = (L + 16) / 116;
  const X = 0.95047 * finv(fy + a / 500);
  const Y = L > KAPPA * EPS ? fy * fy * fy : L / KAPPA;
  const Z = 1.08883 * finv(fy - b / 200);
  out[o] = encode(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z);
  out[o + 1] = encode(-0.969266 * X + 1.8760108 * Y + 0.041556 * Z);
  out[o + 2] = encode(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z);
}
