import { PRODUCT_KINDS, type ProductPhotoOptions } from './synthetic-product';

/** Colours beyond the generator's palette: saturated, dark, and mid-tones close to a shadow's lightness. */
const EXTRA_COLOURS = ['#e63946', '#ffb703', '#023047', '#8338ec', '#3a5a40', '#6c757d', '#9c6644', '#118ab2'];
const NOISES = [0, 1.5, 2.5, 4, 6];

export interface QualitySetOptions {
  seedBase: number;
  sizes: ReadonlyArray<[number, number]>;
  /** EXIF orientations to cycle through (input-image turns the pixels upright; masks are upright). */
  orientations?: readonly number[];
}

/**
 * Scene i of a segmentation quality set: every product kind, palette and extra colours, noise 0–6,
 * JPEG quality 60–95 or PNG. The node test and the bench draw their sets from this one recipe.
 */
export function qualityScene(i: number, o: QualitySetOptions): ProductPhotoOptions {
  const [width, height] = o.sizes[i % o.sizes.length];
  return {
    seed: o.seedBase + i,
    width,
    height,
    kind: PRODUCT_KINDS[i % PRODUCT_KINDS.length],
    color: i % 3 === 0 ? EXTRA_COLOURS[(i / 3) % EXTRA_COLOURS.length] : undefined,
    noise: NOISES[Math.floor(i / 5) % NOISES.length],
    quality: 60 + ((i * 7) % 36),
    format: i % 10 === 9 ? 'png' : 'jpeg',
    ...(o.orientations ? { orientation: o.orientations[i % o.orientations.length] } : {}),
  };
}

/** IoU of two single-channel masks (≥ 128 counts as product). */
export function maskIoU(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] >= 128;
    const y = b[i] >= 128;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
