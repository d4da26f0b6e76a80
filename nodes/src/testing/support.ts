import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { NodeHarness } from './node-harness';

/** IoU of two single-channel masks (alpha ≥ 128 counts as product). */
export { maskIoU as iou } from './segmentation-quality';

/** Decodes an artifact to raw pixels. */
export async function rawOf(h: NodeHarness, ref: ArtifactRef) {
  const { data, info } = await sharp(await h.get(ref)).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A 1-channel mask artifact as bytes (PNG decoders may hand back 1 or more channels). */
export async function maskOf(h: NodeHarness, ref: ArtifactRef): Promise<Uint8Array> {
  const { data, info } = await sharp(await h.get(ref)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error('expected one channel');
  return data;
}

/** Resizes a ground-truth mask to another size (nearest is wrong at edges; use a smooth kernel and threshold). */
export async function resizeMask(mask: Buffer, w: number, h: number, tw: number, th: number): Promise<Uint8Array> {
  if (w === tw && h === th) return mask;
  return sharp(mask, { raw: { width: w, height: h, channels: 1 } }).resize(tw, th, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
}

/** A tiny, valid-looking PNG whose header claims a huge size: tests the pixel limit without the pixels. */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

/** Asserts a promise rejects with a PermanentNodeError whose message matches. */
export async function rejectsPermanent(p: Promise<unknown>, message: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { permanent?: boolean };
    if (e.permanent !== true) throw new Error(`expected a PermanentNodeError, got ${e.name}: ${e.message}`);
    if (!message.test(e.message)) throw new Error(`message "${e.message}" does not match ${message}`);
    return e;
  }
  throw new Error('expected a rejection');
}
