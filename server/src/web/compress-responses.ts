import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';

/** Smaller answers are sent as they are: compressing them costs more than the bytes it saves. */
export const COMPRESS_ABOVE_BYTES = 1024;

/**
 * gzip or brotli for the API's answers (JSON above all), negotiated from Accept-Encoding. Not for:
 * ranged requests (the byte ranges are of the file, not of a compressed stream), event streams
 * (compression would hold events back), answers already encoded (the web apps' precompressed
 * assets) or not compressible (JPEG, PNG, WebP, ZIP: `compression` asks the mime database).
 * Socket.IO never passes through Express.
 */
export function compressResponses(): RequestHandler {
  return compression({
    threshold: COMPRESS_ABOVE_BYTES,
    filter: (req: Request, res: Response) => {
      if (req.headers.range) return false;
      if (/^text\/event-stream/i.test(String(res.getHeader('Content-Type') ?? ''))) return false;
      return compression.filter(req, res);
    },
  });
}
