import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../image/raw-image';

/** How hard a photo is for a cut-out; the quality target counts plain to moderately busy photos. */
export type RealPhotoClass = 'plain' | 'moderately busy' | 'busy' | 'no single subject';

export interface RealPhoto {
  name: string;
  class: RealPhotoClass;
  source: string;
  licence: string;
  maskMethod: string;
  image: RawImage;
  /** Reference mask, one byte per pixel (255 = product); null where the photo has no single product. */
  mask: Uint8Array | null;
}

interface ManifestEntry { name: string; class: RealPhotoClass; mask: string | null; source: string; licence: string; maskMethod: string }

/** bench/real-photo-set in the repository (this file runs from nodes/dist/src/testing). */
export const REAL_PHOTOS_DIR = resolve(__dirname, '../../../../bench/real-photo-set');

/** The committed real photographs with their reference masks (see bench/real-photo-set/README.md), decoded to RGB. */
export async function loadRealPhotos(names?: readonly string[]): Promise<RealPhoto[]> {
  const manifest = JSON.parse(await readFile(join(REAL_PHOTOS_DIR, 'photos.json'), 'utf8')) as { photos: ManifestEntry[] };
  const wanted = names ? manifest.photos.filter((p) => names.includes(p.name)) : manifest.photos;
  if (names && wanted.length !== names.length) throw new Error(`unknown real photo among ${names.join(', ')}`);
  return Promise.all(wanted.map(async (p) => {
    const { data, info } = await sharp(join(REAL_PHOTOS_DIR, `${p.name}.jpg`)).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image: RawImage = { data, width: info.width, height: info.height, channels: 3 };
    let mask: Uint8Array | null = null;
    if (p.mask) {
      const m = await sharp(join(REAL_PHOTOS_DIR, p.mask)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      if (m.info.width !== info.width || m.info.height !== info.height) throw new Error(`${p.mask} is ${m.info.width}×${m.info.height}, its photo ${info.width}×${info.height}`);
      mask = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.length);
    }
    return { name: p.name, class: p.class, source: p.source, licence: p.licence, maskMethod: p.maskMethod, image, mask };
  }));
}

export interface RealPhotoVariant {
  name: string;
  image: RawImage;
  /** The reference mask, mirrored with the photo where it was. */
  mask: Uint8Array;
}

/**
 * The photo as another camera or phone might have taken it — mirrored, recompressed at JPEG q70,
 * 0.8× darker — with its reference mask to match: a sound matte cuts them all alike.
 */
export async function realPhotoVariants(p: RealPhoto): Promise<RealPhotoVariant[]> {
  if (!p.mask) throw new Error(`${p.name} has no reference mask`);
  const { width, height } = p.image;
  const photo = () => sharp(p.image.data, { raw: { width, height, channels: p.image.channels } });
  const raw = async (s: sharp.Sharp): Promise<RawImage> => ({ data: await s.removeAlpha().raw().toBuffer(), width, height, channels: 3 });
  const mirroredMask = await sharp(p.mask, { raw: { width, height, channels: 1 } }).flop().extractChannel(0).raw().toBuffer();
  return [
    { name: 'mirrored', image: await raw(photo().flop()), mask: mirroredMask },
    { name: 'JPEG q70', image: await raw(sharp(await photo().jpeg({ quality: 70 }).toBuffer())), mask: p.mask },
    { name: '0.8× darker', image: await raw(photo().linear(0.8, 0)), mask: p.mask },
  ];
}
