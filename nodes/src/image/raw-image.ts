import sharp from 'sharp';
import { decoding, openImage } from './decode';

/** Interleaved 8-bit pixels; the form pixel code works on inside a node. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * Intermediate artifacts are PNGs so the server can show them as they are. Photo-like content is
 * stored at zlib level 3 without row filters: about a quarter of the bytes of stored (level 0)
 * blocks for a few tens of ms more per working-size image, where adaptive filtering or lossless WebP
 * would cost several times that CPU for 10-40 % fewer bytes (bench: storage-growth; README). Flat
 * content (masks, a product on a plain backdrop) is stored at level 1 without filtering.
 * STUDIOFLOW_INTERMEDIATE_PNG_LEVEL overrides the photo-like level (0: fastest, largest).
 */
export function intermediatePngOptions(content: 'photo' | 'flat' = 'photo'): sharp.PngOptions {
  if (content === 'flat') return { compressionLevel: 1, adaptiveFiltering: false };
  const env = Number(process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL);
  const level = process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL && Number.isInteger(env) && env >= 0 && env <= 9 ? env : PHOTO_PNG_LEVEL;
  return { compressionLevel: level, adaptiveFiltering: false };
}

const PHOTO_PNG_LEVEL = 3;

export const INTERMEDIATE_MIME = 'image/png';

export function rawInput(img: RawImage): { raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 } } {
  return { raw: { width: img.width, height: img.height, channels: img.channels } };
}

export function encodeIntermediate(img: RawImage, content: 'photo' | 'flat' = 'photo'): Promise<Buffer> {
  let s = sharp(img.data, rawInput(img));
  // Without this, sharp writes one-channel input out as RGB.
  if (img.channels <= 2) s = s.toColourspace('b-w');
  return s.png(intermediatePngOptions(content)).toBuffer();
}

/** Decodes an image artifact to 8-bit sRGB raw pixels, keeping its alpha channel if it has one. */
export async function decodeToRaw(bytes: Buffer, what: string): Promise<RawImage> {
  return decoding(what, async () => {
    const { data, info } = await openImage(bytes).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] };
  });
}

/** Removes an alpha channel that is fully opaque everywhere (it would only cost bytes and time). */
export function dropOpaqueAlpha(img: RawImage): RawImage {
  if (img.channels !== 4) return img;
  const { data } = img;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return img;
  const n = img.width * img.height;
  const rgb = Buffer.allocUnsafe(n * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i];
    rgb[j + 1] = data[i + 1];
    rgb[j + 2] = data[i + 2];
  }
  return { data: rgb, width: img.width, height: img.height, channels: 3 };
}
