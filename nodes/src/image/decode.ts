import sharp from 'sharp';
import { PermanentNodeError } from '@studioflow/runtime/contract';

/** 50 MP covers every phone camera (200 MP sensors bin to 12-50 MP) while bounding decode memory. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Read per call so tests and operators can change it without a restart. */
export function maxInputPixels(): number {
  const fromEnv = Number(process.env.STUDIOFLOW_MAX_PIXELS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? Math.floor(fromEnv) : DEFAULT_MAX_PIXELS;
}

/**
 * 'error' (default) rejects broken structure and truncation but accepts files libjpeg only warns
 * about (extraneous bytes, some damaged entropy data), which phone uploads occasionally are;
 * STUDIOFLOW_DECODE_FAIL_ON=warning rejects those too.
 */
export function decodeFailOn(): 'error' | 'warning' | 'truncated' {
  const v = process.env.STUDIOFLOW_DECODE_FAIL_ON;
  return v === 'warning' || v === 'truncated' ? v : 'error';
}

/** Every decode goes through here: pixel limit, and corrupt data throws instead of decoding garbage. */
export function openImage(input: Buffer, extra: sharp.SharpOptions = {}): sharp.Sharp {
  return sharp(input, { limitInputPixels: maxInputPixels(), failOn: decodeFailOn(), ...extra });
}

/** Turns a sharp decode failure into a permanent error a seller can act on. */
export function decodeError(err: unknown, what: string): PermanentNodeError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/buffer is empty/i.test(msg)) return new PermanentNodeError(`${what} is empty (0 bytes)`);
  if (/unsupported image format/i.test(msg)) {
    return new PermanentNodeError(`${what} is not a supported image (use JPEG, PNG, WebP, AVIF, TIFF or GIF)`);
  }
  if (/pixel limit/i.test(msg)) {
    const limit = maxInputPixels();
    const size = limit >= 1e6 ? `${+(limit / 1e6).toFixed(1)} megapixels` : `${limit} pixels`;
    return new PermanentNodeError(`${what} is too large: more than ${size}`);
  }
  return new PermanentNodeError(`${what} is corrupt or truncated and cannot be decoded (${msg.trim()})`);
}

/** Runs a sharp operation that decodes `what`, converting its failures with decodeError. */
export async function decoding<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw decodeError(err, what);
  }
}

/** HEIC (HEVC in HEIF) needs a patent-encumbered decoder that sharp's prebuilt libvips leaves out. */
export function isHeic(bytes: Buffer): boolean {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return false;
  return ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(bytes.toString('latin1', 8, 12));
}
