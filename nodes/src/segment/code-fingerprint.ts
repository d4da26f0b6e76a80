import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A hash of the code that makes a cut-out (this folder and the image helpers beside it), for the
 * segment node's cache salt: a node version is bumped for a contract change, not for a better matte,
 * and a cached cut-out from older code must not stand in for what the current code makes.
 */
export function segmentCodeFingerprint(dirs: readonly string[] = [__dirname, join(__dirname, '../image')]): string {
  const hash = createHash('sha256');
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter(isImplementation).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  }
  return hash.digest('hex');
}

/** Compiled or source modules, not their tests, maps or declarations. */
function isImplementation(file: string): boolean {
  return /\.(js|ts)$/.test(file) && !/\.(test|d)\.(js|ts)$/.test(file);
}
