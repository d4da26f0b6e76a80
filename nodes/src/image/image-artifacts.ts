import type { ArtifactRef, NodeContext } from '@studioflow/runtime/contract';
import { pixelCache } from './pixel-cache';
import { decodeMask } from '../segment/product-mask';
import { decodeToRaw, encodeIntermediate, INTERMEDIATE_MIME, type RawImage } from './raw-image';

/** Pixels of an image artifact (8-bit sRGB, alpha kept). Shared and read-only unless `writable`. */
export async function loadImage(ctx: NodeContext, ref: ArtifactRef, what: string, opts: { writable?: boolean } = {}): Promise<RawImage> {
  const hit = pixelCache.get(ref.hash);
  if (hit && hit.channels >= 3) return opts.writable ? { ...hit, data: Buffer.from(hit.data) } : hit;
  const img = await decodeToRaw(await ctx.artifacts.get(ref), what);
  if (!opts.writable) pixelCache.set(ref.hash, img);
  return img;
}

/** One byte per pixel of a mask artifact. Shared and read-only. */
export async function loadMask(ctx: NodeContext, ref: ArtifactRef, what: string): Promise<{ plane: Uint8Array; width: number; height: number }> {
  const hit = pixelCache.get(ref.hash);
  if (hit && hit.channels === 1) return { plane: hit.data, width: hit.width, height: hit.height };
  const mask = await decodeMask(await ctx.artifacts.get(ref), what);
  pixelCache.set(ref.hash, { data: Buffer.from(mask.plane.buffer, mask.plane.byteOffset, mask.plane.length), width: mask.width, height: mask.height, channels: 1 });
  return mask;
}

/**
 * Stores `img` as an intermediate PNG artifact and keeps its pixels for the next node in this
 * process. `img` must not be modified afterwards.
 */
export async function storeImage(
  ctx: NodeContext,
  img: RawImage,
  content: 'photo' | 'flat',
  meta: Record<string, unknown> = {},
): Promise<ArtifactRef> {
  const png = await encodeIntermediate(img, content);
  const ref = await ctx.artifacts.put(png, { mime: INTERMEDIATE_MIME, width: img.width, height: img.height, meta });
  pixelCache.set(ref.hash, img);
  return ref;
}
