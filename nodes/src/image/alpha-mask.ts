import type { RawImage } from './raw-image';

/**
 * The image's own alpha if it carries a cut-out (a transparent PNG): at least 0.5% of the pixels
 * transparent. An alpha that is (nearly) all opaque says nothing about the product.
 */
export function meaningfulAlpha(img: RawImage): Uint8Array | null {
  if (img.channels !== 4 && img.channels !== 2) return null;
  const n = img.width * img.height, C = img.channels;
  let transparent = 0;
  for (let i = C - 1; i < img.data.length; i += C) if (img.data[i] < 128) transparent++;
  if (transparent < n * 0.005) return null;
  const alpha = new Uint8Array(n);
  for (let i = 0, q = C - 1; i < n; i++, q += C) alpha[i] = img.data[q];
  return alpha;
}
