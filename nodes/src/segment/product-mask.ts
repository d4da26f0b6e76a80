import sharp from 'sharp';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { meaningfulAlpha } from '../image/alpha-mask';
import { classicalMatte, NoProductError, type Matte } from './classical-segmenter';
import { decoding, openImage } from '../image/decode';
import type { RawImage } from '../image/raw-image';

export interface ProductMask {
  /** One byte per pixel of the image, 255 = product. */
  alpha: Uint8Array;
  source: 'mask-input' | 'alpha' | 'classical';
  /** The classical matte when that found the product (its backdrop model is useful downstream). */
  matte?: Matte;
}

/** Decodes a mask artifact to one byte per pixel. */
export async function decodeMask(bytes: Buffer, what: string): Promise<{ plane: Uint8Array; width: number; height: number }> {
  return decoding(what, async () => {
    const { data, info } = await openImage(bytes).extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { plane: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  });
}

/**
 * Where the product is in `img`: a given mask (resized if it is the same picture at another
 * resolution), else the image's own alpha, else the classical matte (plain backdrops).
 */
export async function findProduct(img: RawImage, given: { plane: Uint8Array; width: number; height: number } | null, what: string): Promise<ProductMask> {
  if (given) return { alpha: await fitMask(given, img.width, img.height, what), source: 'mask-input' };
  const own = meaningfulAlpha(img);
  if (own) return { alpha: own, source: 'alpha' };
  try {
    const matte = await classicalMatte(img, { sensitivity: 0.5, shadowTolerance: 0.5, holes: 'auto' });
    return { alpha: matte.alpha, source: 'classical', matte };
  } catch (err) {
    if (err instanceof NoProductError) throw new PermanentNodeError(`no product found in the ${what}: nothing stands out from its backdrop`);
    throw err;
  }
}

async function fitMask(m: { plane: Uint8Array; width: number; height: number }, W: number, H: number, what: string): Promise<Uint8Array> {
  if (m.width === W && m.height === H) return m.plane;
  if (Math.abs(m.width / m.height - W / H) > 0.01 * (W / H)) {
    throw new PermanentNodeError(`the mask for the ${what} is ${m.width}x${m.height} but the ${what} is ${W}x${H}: connect the mask of this image`);
  }
  const out = await sharp(m.plane, { raw: { width: m.width, height: m.height, channels: 1 } }).resize(W, H, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
