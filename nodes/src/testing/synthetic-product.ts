import sharp from 'sharp';

/**
 * Deterministic synthetic product photos with a known ground-truth mask, for tests and benchmarks.
 * The scene is drawn as SVG (product shapes, shading, label, soft shadows, graded backdrop), then
 * camera-like noise and JPEG artefacts are added. The mask is rendered from the same shape paths.
 */

export type ProductKind = 'bottle' | 'box' | 'mug' | 'shoe';
export const PRODUCT_KINDS: readonly ProductKind[] = ['bottle', 'box', 'mug', 'shoe'];

export interface ProductPhotoOptions {
  seed?: number;
  /** Displayed (upright) size. Default 1200x900. */
  width?: number;
  height?: number;
  kind?: ProductKind;
  /** Product colour as #rrggbb; default: picked from a palette of typical product colours. */
  color?: string;
  /** EXIF orientation (1-8): pixels are stored so that a viewer honouring the tag shows them upright. */
  orientation?: number;
  /** Noise standard deviation in 8-bit levels (default 2.5). */
  noise?: number;
  quality?: number;
  /** Output encoding; png keeps the scene free of JPEG artefacts. */
  format?: 'jpeg' | 'png';
}

export interface ProductPhoto {
  /** The encoded photo (JPEG unless format png was asked for). */
  jpeg: Buffer;
  /** Ground truth, upright: 1 byte per pixel, 255 = product. */
  mask: Buffer;
  width: number;
  height: number;
  kind: ProductKind;
  orientation: number;
}

/** Typical product colours; pale near-backdrop colours are left out on purpose (see README). */
const PALETTE = ['#c0392b', '#1f4e8c', '#2e7d4f', '#b8860b', '#1d1d1f', '#6b2d8f', '#0f7c86', '#d35400', '#7a4a2a', '#5d6d7e', '#8e1b3a', '#264653'];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Part {
  d: string;
  fill: string;
  /** Overlay gradient id for shading, if any. */
  shade?: string;
  evenodd?: boolean;
}

interface Scene {
  parts: Part[];
  /** Silhouette extent, for shadows. */
  left: number;
  right: number;
  top: number;
  base: number;
  extras: string;
}

export async function makeProductPhoto(options: ProductPhotoOptions = {}): Promise<ProductPhoto> {
  const seed = options.seed ?? 1;
  const rnd = mulberry32(seed * 7919 + 17);
  const W = options.width ?? 1200;
  const H = options.height ?? 900;
  const kind = options.kind ?? PRODUCT_KINDS[seed % PRODUCT_KINDS.length];
  const color = options.color ?? PALETTE[Math.floor(rnd() * PALETTE.length)];
  const scene = buildScene(kind, W, H, color, rnd);

  const bgTop = lightColour(rnd, 0.86, 0.95);
  const bgBottom = lightColour(rnd, 0.8, 0.93);
  const vignette = (0.06 + rnd() * 0.1).toFixed(3);
  const pw = scene.right - scene.left;
  const ph = scene.base - scene.top;
  const cx = (scene.left + scene.right) / 2;
  const contactOpacity = (0.35 + rnd() * 0.2).toFixed(2);
  const castDx = (rnd() - 0.5) * 0.12 * pw;
  const shapes = scene.parts.map((p) => `<path d="${p.d}"${p.evenodd ? ' fill-rule="evenodd"' : ''}/>`).join('');

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<defs>
 <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${bgTop}"/><stop offset="1" stop-color="${bgBottom}"/></linearGradient>
 <radialGradient id="vig" cx="0.5" cy="0.45" r="0.75"><stop offset="0.45" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="${vignette}"/></radialGradient>
 <linearGradient id="cyl" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#000" stop-opacity="0.35"/><stop offset="0.28" stop-color="#fff" stop-opacity="0.28"/><stop offset="0.5" stop-color="#fff" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.45"/></linearGradient>
 <linearGradient id="vert" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fff" stop-opacity="0.18"/><stop offset="1" stop-color="#000" stop-opacity="0.25"/></linearGradient>
 <filter id="soft" x="-50%" y="-50%" width="200%" height="200%"><feGaussianBlur stdDeviation="${(0.035 * pw).toFixed(1)}"/></filter>
 <filter id="cast" x="-50%" y="-50%" width="200%" height="200%"><feGaussianBlur stdDeviation="${(0.03 * ph).toFixed(1)}"/></filter>
</defs>
<rect width="${W}" height="${H}" fill="url(#bg)"/>
<rect width="${W}" height="${H}" fill="url(#vig)"/>
<g fill="#000" opacity="0.14" filter="url(#cast)" transform="translate(${castDx.toFixed(1)},${(-0.015 * ph).toFixed(1)})">${shapes}</g>
<ellipse cx="${cx.toFixed(1)}" cy="${(scene.base - 0.01 * ph).toFixed(1)}" rx="${(0.58 * pw).toFixed(1)}" ry="${(0.07 * Math.min(pw, ph)).toFixed(1)}" fill="#000" opacity="${contactOpacity}" filter="url(#soft)"/>
${scene.parts.map(renderPart).join('\n')}
${scene.extras}
</svg>`;
  const maskSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#000"/><g fill="#fff">${shapes}</g></svg>`;

  const [photo, maskRaw] = await Promise.all([
    sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer(),
    sharp(Buffer.from(maskSvg)).extractChannel(0).raw().toBuffer(),
  ]);
  for (let i = 0; i < maskRaw.length; i++) maskRaw[i] = maskRaw[i] >= 128 ? 255 : 0;
  addNoise(photo, options.noise ?? 2.5, rnd);

  const orientation = options.orientation ?? 1;
  const stored = await storeOriented(photo, W, H, orientation);
  let pipeline = sharp(stored.data, { raw: { width: stored.width, height: stored.height, channels: 3 } });
  if (orientation !== 1) pipeline = pipeline.withMetadata({ orientation });
  const quality = options.quality ?? Math.round(82 + rnd() * 10);
  const jpeg = options.format === 'png' ? await pipeline.png().toBuffer() : await pipeline.jpeg({ quality }).toBuffer();
  return { jpeg, mask: maskRaw, width: W, height: H, kind, orientation };
}

function renderPart(p: Part): string {
  const rule = p.evenodd ? ' fill-rule="evenodd"' : '';
  const base = `<path d="${p.d}" fill="${p.fill}"${rule}/>`;
  return p.shade ? base + `<path d="${p.d}" fill="url(#${p.shade})"${rule}/>` : base;
}

function buildScene(kind: ProductKind, W: number, H: number, color: string, rnd: () => number): Scene {
  const aspect = { bottle: 0.38, box: 0.85, mug: 1.05, shoe: 2.4 }[kind] * (0.9 + rnd() * 0.2);
  let ph = H * (0.45 + rnd() * 0.2);
  let pw = ph * aspect;
  if (pw > W * 0.75) {
    pw = W * 0.75;
    ph = pw / aspect;
  }
  const x0 = W / 2 - pw / 2 + (rnd() - 0.5) * 0.12 * W;
  const base = H * (0.74 + rnd() * 0.08);
  const y0 = base - ph;
  const X = (f: number) => (x0 + f * pw).toFixed(1);
  const Y = (f: number) => (y0 + f * ph).toFixed(1);
  const dark = shadeHex(color, -0.35);
  const light = shadeHex(color, 0.25);
  const accent = rnd() < 0.5 ? '#f4f1ea' : '#f2c14e';
  const parts: Part[] = [];
  let extras = '';
  const label = (lx: number, ly: number, lw: number, lh: number) => {
    const x = x0 + lx * pw, y = y0 + ly * ph, w = lw * pw, h = lh * ph;
    return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${accent}" opacity="0.92"/>`
      + `<rect x="${x.toFixed(1)}" y="${(y + h * 0.78).toFixed(1)}" width="${w.toFixed(1)}" height="${(h * 0.08).toFixed(1)}" fill="${dark}"/>`
      + `<circle cx="${(x + w / 2).toFixed(1)}" cy="${(y + h * 0.3).toFixed(1)}" r="${(Math.min(w, h) * 0.16).toFixed(1)}" fill="${color}"/>`
      + `<text x="${(x + w / 2).toFixed(1)}" y="${(y + h * 0.68).toFixed(1)}" font-family="DejaVu Sans" font-weight="bold" font-size="${(h * 0.18).toFixed(1)}" text-anchor="middle" fill="${dark}">BRAND</text>`;
  };

  if (kind === 'bottle') {
    parts.push({ d: `M${X(0.36)},${Y(0)} H${X(0.64)} V${Y(0.1)} H${X(0.36)} Z`, fill: '#222', shade: 'cyl' });
    parts.push({
      d: `M${X(0.39)},${Y(0.09)} H${X(0.61)} V${Y(0.17)} C${X(0.62)},${Y(0.25)} ${X(1)},${Y(0.24)} ${X(1)},${Y(0.34)} V${Y(0.96)} Q${X(1)},${Y(1)} ${X(0.94)},${Y(1)} H${X(0.06)} Q${X(0)},${Y(1)} ${X(0)},${Y(0.96)} V${Y(0.34)} C${X(0)},${Y(0.24)} ${X(0.38)},${Y(0.25)} ${X(0.39)},${Y(0.17)} Z`,
      fill: color,
      shade: 'cyl',
    });
    extras = label(0.08, 0.45, 0.84, 0.32);
  } else if (kind === 'box') {
    parts.push({ d: `M${X(0)},${Y(0.22)} L${X(0.22)},${Y(0)} H${X(1)} L${X(0.78)},${Y(0.22)} Z`, fill: light });
    parts.push({ d: `M${X(0.78)},${Y(0.22)} L${X(1)},${Y(0)} V${Y(0.8)} L${X(0.78)},${Y(1)} Z`, fill: dark });
    parts.push({ d: `M${X(0)},${Y(0.22)} H${X(0.78)} V${Y(1)} H${X(0)} Z`, fill: color, shade: 'vert' });
    extras = label(0.1, 0.35, 0.58, 0.45);
  } else if (kind === 'mug') {
    // Handle first (behind the body); its hole shows the backdrop and is not product.
    const hx = x0 + 0.8 * pw, hy = y0 + 0.48 * ph;
    const ro = [0.2 * pw, 0.3 * ph], ri = [0.11 * pw, 0.19 * ph];
    parts.push({
      d: `M${(hx - ro[0]).toFixed(1)},${hy.toFixed(1)} a${ro[0].toFixed(1)},${ro[1].toFixed(1)} 0 1,0 ${(2 * ro[0]).toFixed(1)},0 a${ro[0].toFixed(1)},${ro[1].toFixed(1)} 0 1,0 ${(-2 * ro[0]).toFixed(1)},0 Z `
        + `M${(hx - ri[0]).toFixed(1)},${hy.toFixed(1)} a${ri[0].toFixed(1)},${ri[1].toFixed(1)} 0 1,0 ${(2 * ri[0]).toFixed(1)},0 a${ri[0].toFixed(1)},${ri[1].toFixed(1)} 0 1,0 ${(-2 * ri[0]).toFixed(1)},0 Z`,
      fill: color,
      evenodd: true,
    });
    parts.push({
      d: `M${X(0)},${Y(0.06)} Q${X(0.4)},${Y(0.12)} ${X(0.8)},${Y(0.06)} V${Y(0.93)} Q${X(0.8)},${Y(1)} ${X(0.7)},${Y(1)} H${X(0.1)} Q${X(0)},${Y(1)} ${X(0)},${Y(0.93)} Z`,
      fill: color,
      shade: 'cyl',
    });
    parts.push({ d: `M${X(0)},${Y(0.06)} Q${X(0.4)},${Y(0)} ${X(0.8)},${Y(0.06)} Q${X(0.4)},${Y(0.12)} ${X(0)},${Y(0.06)} Z`, fill: dark });
    extras = label(0.12, 0.35, 0.56, 0.35);
  } else {
    const sole = rnd() < 0.5 ? '#f5f5f5' : '#2b2b2b';
    parts.push({
      d: `M${X(0.02)},${Y(0.2)} C${X(0.05)},${Y(0.05)} ${X(0.25)},${Y(0)} ${X(0.3)},${Y(0.12)} C${X(0.4)},${Y(0.3)} ${X(0.55)},${Y(0.35)} ${X(0.75)},${Y(0.45)} C${X(0.92)},${Y(0.52)} ${X(1)},${Y(0.62)} ${X(0.99)},${Y(0.82)} H${X(0.01)} C${X(0)},${Y(0.6)} ${X(0)},${Y(0.35)} ${X(0.02)},${Y(0.2)} Z`,
      fill: color,
      shade: 'vert',
    });
    parts.push({ d: `M${X(0)},${Y(0.8)} H${X(1)} Q${X(1)},${Y(1)} ${X(0.9)},${Y(1)} H${X(0.05)} Q${X(0)},${Y(1)} ${X(0)},${Y(0.9)} Z`, fill: sole });
    extras = `<path d="M${X(0.35)},${Y(0.3)} L${X(0.6)},${Y(0.7)} M${X(0.45)},${Y(0.36)} L${X(0.7)},${Y(0.72)}" stroke="${accent}" stroke-width="${(0.03 * ph).toFixed(1)}"/>`;
  }
  return { parts, left: x0, right: x0 + pw, top: y0, base, extras };
}

function lightColour(rnd: () => number, lo: number, hi: number): string {
  const l = lo + rnd() * (hi - lo);
  const tint = (rnd() - 0.5) * 0.04;
  return rgbHex(l + tint, l, l - tint);
}

function shadeHex(hex: string, amount: number): string {
  const n = parseInt(hex.slice(1), 16);
  const ch = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => c / 255);
  const f = (c: number) => (amount < 0 ? c * (1 + amount) : c + (1 - c) * amount);
  return rgbHex(f(ch[0]), f(ch[1]), f(ch[2]));
}

function rgbHex(r: number, g: number, b: number): string {
  const c = (v: number) => Math.round(Math.max(0, Math.min(1, v)) * 255).toString(16).padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Sensor-like noise: a shared luminance part plus a smaller per-channel part. */
function addNoise(rgb: Buffer, sigma: number, rnd: () => number): void {
  if (sigma <= 0) return;
  for (let i = 0; i < rgb.length; i += 3) {
    const l = gauss(rnd) * sigma;
    for (let c = 0; c < 3; c++) {
      const v = rgb[i + c] + l + gauss(rnd) * sigma * 0.5;
      rgb[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

function gauss(rnd: () => number): number {
  // Sum of uniforms: cheap and good enough for noise.
  return (rnd() + rnd() + rnd() - 1.5) * 2;
}

/** Applies the inverse of the display transform of an EXIF orientation to upright pixels. */
async function storeOriented(rgb: Buffer, width: number, height: number, orientation: number) {
  const raw = { width, height, channels: 3 as const };
  const steps: Record<number, Array<(s: sharp.Sharp) => sharp.Sharp>> = {
    1: [],
    2: [(s) => s.flop()],
    3: [(s) => s.rotate(180)],
    4: [(s) => s.flip()],
    5: [(s) => s.rotate(90), (s) => s.flop()],
    6: [(s) => s.rotate(270)],
    7: [(s) => s.rotate(270), (s) => s.flop()],
    8: [(s) => s.rotate(90)],
  };
  const list = steps[orientation];
  if (!list) throw new Error(`bad EXIF orientation ${orientation}`);
  let data = rgb;
  let info = { width, height };
  for (const step of list) {
    const out = await step(sharp(data, { raw: { ...raw, width: info.width, height: info.height } })).raw().toBuffer({ resolveWithObject: true });
    data = out.data;
    info = out.info;
  }
  return { data, width: info.width, height: info.height };
}
