import sharp from 'sharp';

/**
 * Tags encoded files with the sRGB ICC profile without a colour transform: the pixels already are
 * sRGB, and sharp's withIccProfile('srgb') runs a full lcms transform (~15 ms per 4 MP file).
 */

let srgbProfile: Promise<Buffer> | undefined;

/** libvips' built-in sRGB profile, read once from a tiny encode. */
export function srgbIcc(): Promise<Buffer> {
  srgbProfile ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
    .png()
    .withIccProfile('srgb')
    .toBuffer()
    .then((b) => sharp(b).metadata())
    .then((m) => {
      if (!m.icc) throw new Error('sharp did not produce an sRGB profile');
      return m.icc;
    });
  return srgbProfile;
}

/** Inserts an APP2 ICC_PROFILE segment after SOI and any APP0 (JFIF). */
export function embedIccInJpeg(jpeg: Buffer, icc: Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  if (icc.length > 65519) throw new Error('ICC profile too large for one APP2 segment');
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + jpeg.readUInt16BE(4);
  const header = Buffer.from('ICC_PROFILE\0', 'latin1');
  const seg = Buffer.alloc(4 + header.length + 2);
  seg.writeUInt16BE(0xffe2, 0);
  seg.writeUInt16BE(2 + header.length + 2 + icc.length, 2);
  header.copy(seg, 4);
  seg[4 + header.length] = 1; // sequence number
  seg[5 + header.length] = 1; // segment count
  return Buffer.concat([jpeg.subarray(0, at), seg, icc, jpeg.subarray(at)]);
}

/** Inserts an ICCP chunk after VP8X and sets its ICC flag; extended-format WebP only. */
export function embedIccInWebp(webp: Buffer, icc: Buffer): Buffer {
  if (webp.toString('latin1', 0, 4) !== 'RIFF' || webp.toString('latin1', 8, 12) !== 'WEBP') throw new Error('not a WebP');
  if (webp.toString('latin1', 12, 16) !== 'VP8X') return webp; // simple format: no room for metadata
  const out = Buffer.from(webp.subarray(0, 30));
  out[20] |= 0x20; // ICC profile flag
  const pad = icc.length % 2;
  const chunk = Buffer.alloc(8);
  chunk.write('ICCP', 0, 'latin1');
  chunk.writeUInt32LE(icc.length, 4);
  const result = Buffer.concat([out, chunk, icc, Buffer.alloc(pad), webp.subarray(30)]);
  result.writeUInt32LE(result.length - 8, 4);
  return result;
}
