/** IJG (libjpeg) standard luminance quantisation table (Annex K); its sum is all the estimate needs. */
const STD_LUMA_SUM = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
].reduce((a, b) => a + b, 0);

/**
 * The libjpeg-style quality (1-100) a JPEG was saved at, estimated from its first quantisation table
 * (libjpeg scales the standard table by 5000/q or 200-2q percent). Null if there is no DQT.
 * Encoders with their own tables (mozjpeg, cameras) land close to the equivalent quality; below
 * about 25 libjpeg clips table entries at 255 and the estimate reads high.
 */
export function estimateJpegQuality(bytes: Buffer): number | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return null;
    const marker = bytes[p + 1];
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan: no table before it
    const len = bytes.readUInt16BE(p + 2);
    if (marker === 0xdb && p + 4 + 65 <= bytes.length) {
      const precision = bytes[p + 4] >> 4;
      let sum = 0;
      for (let i = 0; i < 64; i++) sum += precision ? bytes.readUInt16BE(p + 5 + 2 * i) : bytes[p + 5 + i];
      if (sum === 64) return 100; // all ones: nothing is quantised
      const scale = (sum * 100) / STD_LUMA_SUM;
      const q = scale <= 100 ? (200 - scale) / 2 : 5000 / scale;
      return Math.max(1, Math.min(100, Math.round(q)));
    }
    p += 2 + len;
  }
  return null;
}
