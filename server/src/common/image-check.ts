import { PayloadTooLargeException, UnprocessableEntityException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import sharp from 'sharp';
import { inputImageSizeProblem } from '@studioflow/nodes';

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif', 'heif']);

/**
 * At most two uploads are decoded for the check at once in this process. Each decode holds libvips
 * buffers while it runs (a PNG has no shrink-on-load: it is decoded in full); receiving an upload costs
 * little by comparison, so this, not the number of uploads, bounds the API's memory. Checks are short:
 * the others wait their turn.
 */
const decodes = new Semaphore(2);

export interface CheckedImage {
  format: string;
  width: number;
  height: number;
  mime: string;
}

export interface UploadLimits {
  maxPixels: number;
  /** The working side (`maxSide`) of each input-image node the photo feeds. */
  workingSides: number[];
}

/**
 * Rejects an upload before anything is charged or enqueued: empty, not an image, over the pixel
 * limit (decompression bombs), too small or elongated for the input node (its own rule), or corrupt
 * (a full decode at 1/8 scale catches truncated files cheaply).
 */
export async function checkUploadedImage(upload: { path: string; bytes: number } | undefined, limits: UploadLimits): Promise<CheckedImage> {
  if (!upload || upload.bytes === 0) throw new UnprocessableEntityException('the image file is empty');
  return decodes.runExclusive(() => checkImageFile(upload.path, limits));
}

/** The check itself, without waiting for one of the two decode slots of single uploads (a batch checks its own items one at a time). */
export async function checkImageFile(path: string, { maxPixels, workingSides }: UploadLimits): Promise<CheckedImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    throw new UnsupportedMediaTypeException('the upload is not an image we can read (JPEG, PNG, WebP, TIFF, GIF, AVIF)');
  }
  if (!meta.format || !ACCEPTED.has(meta.format) || !meta.width || !meta.height) {
    throw new UnsupportedMediaTypeException(`unsupported image format "${meta.format ?? 'unknown'}"`);
  }
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) {
    throw new PayloadTooLargeException(
      `the image is ${meta.width}×${meta.height} (${(pixels / 1e6).toFixed(1)} MP); the limit is ${(maxPixels / 1e6).toFixed(0)} MP`,
    );
  }
  for (const side of workingSides) {
    const problem = inputImageSizeProblem(meta, side);
    if (problem) throw new UnprocessableEntityException(`the image ${problem}`);
  }
  try {
    await sharp(path, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .resize(256, 256, { fit: 'inside', fastShrinkOnLoad: true })
      .raw()
      .toBuffer();
  } catch (err) {
    throw new UnprocessableEntityException(`the image is corrupt: ${(err as Error).message}`);
  }
  return { format: meta.format, width: meta.width, height: meta.height, mime: `image/${meta.format}` };
}
