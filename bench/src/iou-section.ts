import { performance } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { inputImageNode, segmentNode } from '@studioflow/nodes';
import { makeProductPhoto, maskIoU, NodeHarness, qualityScene, type ProductPhotoOptions } from '@studioflow/nodes/testing';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { imageMagickAvailable, imageMagickMask } from './imagemagick';

/** Around 1200×900: landscape, portrait, square, 16:9. */
const SIZES: Array<[number, number]> = [[1200, 900], [900, 1200], [1100, 1100], [1280, 720]];
/** A few EXIF orientations: input-image turns the pixels upright, the ground-truth mask is upright. */
const ORIENTATIONS = [1, 1, 6, 1, 3, 1, 8];

/** Scene i of the bench's quality set (seeds differ from the node test's, which start at 100). */
export function iouScene(i: number): ProductPhotoOptions {
  return qualityScene(i, { seedBase: 5000, sizes: SIZES, orientations: ORIENTATIONS });
}

export interface IouSample {
  index: number;
  label: string;
  kind: string;
  iou: number;
  segmentMs: number;
  /** IoU of ImageMagick's fuzz flood-fill mask on the same photo (when ImageMagick is installed). */
  imIou?: number;
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
      const sample: IouSample = { index: i, label, kind: photo.kind, iou: maskIoU(data, photo.mask), segmentMs };
      if (imageMagickAvailable()) {
        const file = join(h.store.dir, `scene-${i}.${opts.format === 'png' ? 'png' : 'jpg'}`);
        await writeFile(file, photo.jpeg);
        sample.imIou = maskIoU((await imageMagickMask(file)).data, photo.mask);
      }
      samples.push(sample);
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
