import { PermanentNodeError } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from '../image/alpha-mask';
import { detectBorder, type Border } from './border-detect';
import type { Rect } from '../image/cutout';
import { FILL_TOLERANCE, type MarketplaceRules } from './marketplace-rules';
import { boundingBox } from '../image/mask-ops';
import { findProduct, type ProductMask } from '../segment/product-mask';

export type MaskPlane = { plane: Uint8Array; width: number; height: number };
import type { RawImage } from '../image/raw-image';
import { backdropPlainness, isPlainBackdrop } from '../quality/locate-candidate';

export interface Check {
  id: string;
  pass: boolean;
  severity: 'required' | 'recommended';
  measured: unknown;
  required: unknown;
  message: string;
}

export interface Facts {
  width: number;
  height: number;
  format: string;
  jpegQuality: number | null;
  border: Border;
  /** The product's box (alpha ≥ 128) in the whole frame, or null if none was found. */
  product: Rect | null;
  fill: number | null;
  /** Why no product was located although the picture may show one: a scene without a mask (the built-in matte would guess). */
  productUnlocated?: string;
  /** Share of backdrop pixels (away from the product and its floor) that are exactly 255,255,255. */
  backdrop: { whiteShare: number; typical: [number, number, number]; samples: number } | null;
  /** How far the picture may still be enlarged before the product passes its upscaling cap (image meta sourceScale); absent: no limit known. */
  enlargeHeadroom?: number;
}

/** What the checks and fixes work on: the picture inside any border, flattened onto white. */
export interface Inspected {
  facts: Facts;
  inner: RawImage;
  innerOffset: { x: number; y: number };
  product: ProductMask | null;
}

/** `mask`: where the product is in `img` (e.g. from studio-composite); found classically when absent. */
export async function inspect(img: RawImage, format: string, jpegQuality: number | null, mask: MaskPlane | null = null): Promise<Inspected> {
  const border = detectBorder(img);
  const framed = border.sides >= 3;
  const offset = framed ? { x: border.left, y: border.top } : { x: 0, y: 0 };
  const innerRect = { x: border.left, y: border.top, width: img.width - border.left - border.right, height: img.height - border.top - border.bottom };
  let inner = framed ? crop(img, innerRect) : img;
  const given = mask && framed && mask.width === img.width && mask.height === img.height
    ? { plane: crop({ data: Buffer.from(mask.plane.buffer, mask.plane.byteOffset, mask.plane.length), width: mask.width, height: mask.height, channels: 1 }, innerRect).data, width: innerRect.width, height: innerRect.height }
    : mask;
  // Marketplaces show transparency as white: judge (and fix) the flattened picture, with the alpha as the product.
  const alpha = given ? null : meaningfulAlpha(inner);
  inner = flattenOnWhite(inner);
  let product: ProductMask | null = null;
  try {
    product = alpha ? { alpha, source: 'alpha' } : await findProduct(inner, given, 'image');
  } catch (err) {
    // No product is a finding (the fill check fails), not an error; a mask of another picture is.
    if (!(err instanceof PermanentNodeError) || !err.message.startsWith('no product found')) throw err;
  }
  // On a scene (a generated shot) the built-in matte guesses: better no product than a wrong box to measure and crop by.
  let productUnlocated: string | undefined;
  if (product?.source === 'classical' && product.matte && !isPlainBackdrop(backdropPlainness(product.matte))) {
    product = null;
    productUnlocated = "the backdrop is a scene, where the built-in matte cannot tell the product: wire the generator's mask (or a segment mask) to this node";
  }
  const box = product ? boundingBox(product.alpha, inner.width, inner.height, 127) : null;
  const frameBox = box && { ...box, x: box.x + offset.x, y: box.y + offset.y };
  const fill = frameBox ? Math.max(frameBox.width / img.width, frameBox.height / img.height) : null;
  return {
    facts: { width: img.width, height: img.height, format, jpegQuality, border, product: frameBox, fill, ...(productUnlocated ? { productUnlocated } : {}), backdrop: measureBackdrop(inner, box) },
    inner,
    innerOffset: offset,
    product: box ? product : null,
  };
}

/**
 * Where a product's shadow and reflection may fall: below its middle, a little wider than it.
 * Excluded when judging the backdrop, and where whitening keeps shading.
 */
export function floorZone(box: Rect, W: number, H: number): Rect {
  const m = 0.05 * Math.max(W, H);
  const x0 = Math.max(0, Math.floor(box.x - 0.3 * box.width - m)), x1 = Math.min(W, Math.ceil(box.x + 1.3 * box.width + m));
  const y0 = Math.max(0, Math.floor(box.y + 0.5 * box.height));
  return { x: x0, y: y0, width: x1 - x0, height: H - y0 };
}

function measureBackdrop(img: RawImage, box: Rect | null): Facts['backdrop'] {
  const { width: W, height: H, data, channels: C } = img;
  const m = Math.round(0.05 * Math.max(W, H));
  const band = Math.max(1, Math.round(0.02 * Math.max(W, H)));
  const floor = box ? floorZone(box, W, H) : null;
  const hist = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  const counts = new Float64Array(2); // white, n
  const skip = new Uint8Array(W);
  for (let y = 0; y < H; y++) {
    // The excluded columns of this row (floor zone, near the product off the band, the product's box).
    skip.fill(0);
    if (floor && y >= floor.y) skip.fill(1, clampCol(floor.x, W), clampCol(floor.x + floor.width, W));
    if (box && y >= box.y - m && y < box.y + box.height + m) {
      if (!(y < band || y >= H - band)) skip.fill(1, clampCol(Math.max(band, box.x - m), W), clampCol(Math.min(W - band, box.x + box.width + m), W));
      if (y >= box.y && y < box.y + box.height) skip.fill(1, clampCol(box.x, W), clampCol(box.x + box.width, W));
    }
    backdropRow(data, (y * W) * C, C, skip, W, hist[0], hist[1], hist[2], counts);
  }
  const white = counts[0], n = counts[1];
  if (!n) return null;
  const typical = hist.map((h) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) if ((acc += h[v]) >= n / 2) return v;
    return 255;
  }) as [number, number, number];
  return { whiteShare: white / n, typical, samples: n };
}

function clampCol(x: number, W: number): number {
  return x < 0 ? 0 : x > W ? W : x;
}

function backdropRow(data: Buffer, q0: number, C: number, skip: Uint8Array, W: number, h0: Uint32Array, h1: Uint32Array, h2: Uint32Array, counts: Float64Array): void {
  let white = 0, n = 0;
  for (let x = 0, q = q0; x < W; x++, q += C) {
    if (skip[x]) continue;
    const r = data[q], g = data[q + 1], b = data[q + 2];
    if (r === 255 && g === 255 && b === 255) white++;
    h0[r]++;
    h1[g]++;
    h2[b]++;
    n++;
  }
  counts[0] += white;
  counts[1] += n;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Every rule of the marketplace judged on the facts; recommended rules never fail the report. */
export function evaluate(rules: MarketplaceRules, f: Facts): Check[] {
  const checks: Check[] = [];
  const add = (id: string, pass: boolean, measured: unknown, required: unknown, message: string, severity: Check['severity'] = 'required') =>
    checks.push({ id, pass, severity, measured, required, message: pass ? `ok: ${message}` : message });
  const longest = Math.max(f.width, f.height), shortest = Math.min(f.width, f.height);
  if (rules.formats) add('format', rules.formats.includes(f.format), f.format, rules.formats, `${f.format} ${rules.formats.includes(f.format) ? 'is' : 'is not'} accepted by ${rules.name} (${rules.formats.join(', ')})`);
  // Too small, and enlarging it enough would pass the upscaling cap: the photo sent was too small.
  const sourceTooSmall = (needed: number) => (f.enlargeHeadroom !== undefined && needed > f.enlargeHeadroom + 1e-6 ? `source too small for ${rules.name}: ` : '');
  if (rules.minLongestSide) {
    add('min-size', longest >= rules.minLongestSide, longest, `>= ${rules.minLongestSide}`,
      `${sourceTooSmall(rules.minLongestSide / longest)}longest side ${longest} px; ${rules.name} needs at least ${rules.minLongestSide} px${sourceTooSmall(rules.minLongestSide / longest) ? ' (send a larger photo, or add an upscaler model)' : ''}`);
  }
  if (rules.minShortSide) {
    add('min-size', shortest >= rules.minShortSide, `${f.width}x${f.height}`, `>= ${rules.minShortSide}x${rules.minShortSide}`,
      `${sourceTooSmall(rules.minShortSide / shortest)}image is ${f.width}x${f.height}; ${rules.name} needs at least ${rules.minShortSide}x${rules.minShortSide}`);
  }
  if (rules.maxLongestSide) add('max-size', longest <= rules.maxLongestSide, longest, `<= ${rules.maxLongestSide}`, `longest side ${longest} px; ${rules.name} accepts at most ${rules.maxLongestSide} px`);
  if (rules.recommendedLongestSide) {
    add('recommended-size', longest >= rules.recommendedLongestSide, longest, `>= ${rules.recommendedLongestSide}`, `longest side ${longest} px; ${rules.name} recommends ${rules.recommendedLongestSide} px or more`, 'recommended');
  }
  if (rules.noBorder) {
    const b = f.border;
    add('no-border', b.sides < 3, b.sides >= 3 ? { top: b.top, right: b.right, bottom: b.bottom, left: b.left, colour: b.colour } : 'none', 'none',
      b.sides >= 3 ? `a border was found (${b.top}/${b.right}/${b.bottom}/${b.left} px, colour ${b.colour?.join(',')}); ${rules.name} does not allow borders` : 'no border');
  }
  if (rules.whiteBackground) {
    const bg = f.backdrop;
    const pass = !!bg && bg.whiteShare >= 0.995;
    add('background-white', pass, bg ? { whiteShare: round(bg.whiteShare), typical: bg.typical } : null, { whiteShare: '>= 0.995', colour: [255, 255, 255] },
      bg ? `${pct(bg.whiteShare)} of the backdrop is exactly RGB 255,255,255 (typical ${bg.typical.join(',')})${pass ? '' : `; ${rules.name} requires a pure white background`}` : 'no backdrop visible around the product');
  }
  if (rules.fill) {
    const { min, max } = rules.fill;
    const fill = f.fill;
    const pass = fill !== null && fill >= min - FILL_TOLERANCE && (max === undefined || fill <= max + FILL_TOLERANCE);
    const want = max === undefined ? `>= ${pct(min)}` : `${pct(min)}-${pct(max)}`;
    add('product-fill', pass, fill === null ? null : round(fill), want,
      fill === null ? (f.productUnlocated ? `not measured: ${f.productUnlocated}` : 'no product found to measure') : `the product fills ${pct(fill)} of the frame on its longest side; ${rules.name} wants ${want}`);
  }
  if (rules.minJpegQuality) {
    const q = f.jpegQuality;
    if (f.format === 'jpeg') add('jpeg-quality', q !== null && q >= rules.minJpegQuality, q, `>= ${rules.minJpegQuality}`, `JPEG quality about ${q ?? 'unknown'}; ${rules.name} asks for ${rules.minJpegQuality} or more`);
    else add('jpeg-quality', true, `lossless ${f.format}`, `>= ${rules.minJpegQuality}`, `the image is lossless ${f.format}: deliver's jpegQuality must be ${rules.minJpegQuality} or more`);
  }
  return checks;
}

export function crop(img: RawImage, r: Rect): RawImage {
  const C = img.channels;
  const out = Buffer.allocUnsafe(r.width * r.height * C);
  for (let y = 0; y < r.height; y++) img.data.copy(out, y * r.width * C, ((r.y + y) * img.width + r.x) * C, ((r.y + y) * img.width + r.x + r.width) * C);
  return { data: out, width: r.width, height: r.height, channels: C };
}

function flattenOnWhite(img: RawImage): RawImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height, C = img.channels, out = Buffer.allocUnsafe(n * 3);
  for (let i = 0; i < n; i++) {
    const a = C === 4 ? img.data[i * 4 + 3] / 255 : C === 2 ? img.data[i * 2 + 1] / 255 : 1;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(a * img.data[i * C + (C >= 3 ? c : 0)] + (1 - a) * 255);
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
