import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { inputImageNode, makeProductPhoto, NodeHarness, PRODUCT_KINDS, segmentNode, type ProductPhotoOptions } from '@studioflow/nodes';
import type { ArtifactRef } from '@studioflow/runtime/contract';

/** Colours beyond the generator's palette: saturated, dark, and mid-tones close to a shadow's lightness (as the node test). */
const EXTRA_COLOURS = ['#e63946', '#ffb703', '#023047', '#8338ec', '#3a5a40', '#6c757d', '#9c6644', '#118ab2'];
/** Around 1200×900: landscape, portrait, square. */
const SIZES: Array<[number, number]> = [[1200, 900], [900, 1200], [1100, 1100], [1280, 720]];
const NOISES = [0, 1.5, 2.5, 4, 6];
/** EXIF orientations: the input-image node turns the pixels upright, the ground-truth mask is upright. */
const ORIENTATIONS = [1, 1, 6, 1, 3, 1, 8];

/**
 * Scene i of the quality set: every product kind, the generator's palette and extra colours, noise
 * 0–6, JPEG quality 60–95 or PNG, a few EXIF orientations. Seeds differ from the node test's (100+).
 */
export function iouScene(i: number): ProductPhotoOptions {
  const [width, height] = SIZES[i % SIZES.length];
  return {
    seed: 5000 + i,
    width,
    height,
    kind: PRODUCT_KINDS[i % PRODUCT_KINDS.length],
    color: i % 3 === 0 ? EXTRA_COLOURS[(i / 3) % EXTRA_COLOURS.length] : undefined,
    noise: NOISES[Math.floor(i / 5) % NOISES.length],
    quality: 60 + ((i * 7) % 36),
    format: i % 10 === 9 ? 'png' : 'jpeg',
    orientation: ORIENTATIONS[i % ORIENTATIONS.length],
  };
}

/** IoU of two single-channel masks (≥ 128 counts as product), as nodes/test/support.ts. */
export function iou(a: Uint8Array, b: Uint8Array): number {
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

export interface IouSample {
  index: number;
  label: string;
  kind: string;
  iou: number;
  segmentMs: number;
}

export interface IouResult {
  samples: IouSample[];
  mean: number;
  median: number;
  min: number;
  atLeast95: number;
  seconds: number;
}

/** input-image → segment (method classical) on `n` generated photos; IoU of the mask against the known one. */
export async function runIouSection(n: number): Promise<IouResult> {
  const h = await NodeHarness.create();
  const samples: IouSample[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const opts = iouScene(i);
      const photo = await makeProductPhoto(opts);
      const upload = await h.put(photo.jpeg, opts.format === 'png' ? 'image/png' : 'image/jpeg');
      const image = (await h.runNode(inputImageNode, { upload })).image as ArtifactRef;
      const s0 = performance.now();
      const mask = (await h.runNode(segmentNode, { image }, { method: 'classical' })).mask as ArtifactRef;
      const segmentMs = performance.now() - s0;
      const { data, info } = await sharp(await h.get(mask)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      if (info.width !== photo.width || info.height !== photo.height) {
        throw new Error(`scene ${i}: mask is ${info.width}×${info.height}, photo ${photo.width}×${photo.height}`);
      }
      const label = `#${i} ${photo.kind} ${photo.width}×${photo.height} ${opts.color ?? 'palette'} noise ${opts.noise} ${opts.format === 'png' ? 'png' : `q${opts.quality}`} orient ${opts.orientation}`;
      samples.push({ index: i, label, kind: photo.kind, iou: iou(data, photo.mask), segmentMs });
    }
  } finally {
    await h.close();
  }
  const scores = samples.map((s) => s.iou).sort((a, b) => a - b);
  const mid = scores.length >> 1;
  return {
    samples,
    mean: scores.reduce((a, b) => a + b, 0) / scores.length,
    median: scores.length % 2 ? scores[mid] : (scores[mid - 1] + scores[mid]) / 2,
    min: scores[0],
    atLeast95: scores.filter((x) => x >= 0.95).length,
    seconds: (performance.now() - t0) / 1000,
  };
}
