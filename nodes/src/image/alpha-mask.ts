import type { RawImage } from './raw-image';

/**
 * The image's own alpha if it carries a cut-out (a transparent PNG): at least 0.5% of the pixels
 * transparent. An alpha that is (nearly) all opaque says nothing about the product.
 */
export function meaningfulAlpha(img: RawImage): Uint8Array | null {
  if (img.channels !== 4 && img.channels !== 2) return null;
  const n = img.width * img.height;
  const alpha = new Uint8Array(n);
  const transparent = copyAlpha(img.data, img.channels, alpha);
  return transparent < n * 0.005 ? null : alpha;
}

/** One pass: copies the alpha plane and counts its transparent (< 128) pixels. */
function copyAlpha(data: Buffer, C: number, alpha: Uint8Array): number {
  let transparent = 0;
  for (let i = 0, q = C - 1; i < alpha.length; i++, q += C) {
    const a = data[q];
    alpha[i] = a;
    transparent += a < 128 ? 1 : 0;
  }
  return transparent;
}
