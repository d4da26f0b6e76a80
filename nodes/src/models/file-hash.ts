import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** What a file's hash was computed for: a file changed in place gets a new size or mtime. */
export interface FileStamp {
  bytes: number;
  mtimeMs: number;
}

const hashes = new Map<string, FileStamp & { sha256: string }>();
const CHUNK = 4 * 2 ** 20;

/**
 * sha256 of a model file, cached by path + size + mtime so the API's plan compiles and every job do
 * not re-read the weights. `known` is a hash recorded earlier for the same stamp (an install record):
 * used as is when the stamp still matches. Null when the file is missing.
 * Synchronous because placement (compile time) is; the first call for a large model costs one read.
 */
export function fileSha256(path: string, known?: FileStamp & { sha256: string }): string | null {
  const stamp = fileStamp(path);
  if (!stamp) return null;
  if (known && sameStamp(known, stamp)) return known.sha256;
  const cached = hashes.get(path);
  if (cached && sameStamp(cached, stamp)) return cached.sha256;
  const sha256 = hashFileNow(path);
  hashes.set(path, { ...stamp, sha256 });
  return sha256;
}

/** Reads the whole file again, whatever the cache says (`studioflow models verify`). */
export function hashFileNow(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export function fileStamp(path: string): FileStamp | null {
  try {
    const info = statSync(path);
    return info.isFile() ? { bytes: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.bytes === b.bytes && a.mtimeMs === b.mtimeMs;
}
