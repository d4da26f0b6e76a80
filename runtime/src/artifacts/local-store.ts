import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { ArtifactRef } from '../contract/values';
import type { ArtifactAccess, PutArtifactOptions } from '../contract/context';
import { isArtifactHash, type ArtifactStore } from './artifact-store';

/** Content-addressed files under one directory: <dir>/<h0h1>/<h2h3>/<sha256>. */
export class LocalArtifactStore implements ArtifactStore {
  /** Where a file to be moved in with putFile is written first: inside the store, so on its filesystem. */
  readonly stagingDir: string;

  constructor(readonly dir: string) {
    this.stagingDir = join(dir, 'tmp');
  }

  static isHash(value: string): boolean {
    return isArtifactHash(value);
  }

  pathOf(hash: string): string {
    if (!isArtifactHash(hash)) throw new Error(`not an artifact hash: ${hash.slice(0, 80)}`);
    return join(this.dir, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async put(bytes: Buffer, options: PutArtifactOptions): Promise<ArtifactRef> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const path = this.pathOf(hash);
    if (!(await exists(path))) {
      await mkdir(join(this.dir, hash.slice(0, 2), hash.slice(2, 4)), { recursive: true });
      // Write-then-rename so a reader never sees a half-written file.
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return refOf(hash, bytes.length, options);
  }

  /**
   * Moves a file whose sha256 the caller computed while writing it (an upload streamed into
   * stagingDir) into the store by rename, without reading it again. The file is gone afterwards.
   */
  async putFile(stagedPath: string, hash: string, bytes: number, options: PutArtifactOptions): Promise<ArtifactRef> {
    const path = this.pathOf(hash);
    if (await exists(path)) {
      await rm(stagedPath, { force: true });
    } else {
      await mkdir(join(this.dir, hash.slice(0, 2), hash.slice(2, 4)), { recursive: true });
      await rename(stagedPath, path);
    }
    return refOf(hash, bytes, options);
  }

  async get(hash: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`artifact ${hash} is missing from the store`);
      throw err;
    }
  }

  async has(hash: string): Promise<boolean> {
    return exists(this.pathOf(hash));
  }

  async localPath(hash: string): Promise<string> {
    return this.pathOf(hash);
  }

  async createReadStream(hash: string): Promise<Readable> {
    const path = this.pathOf(hash);
    if (!(await exists(path))) throw new Error(`artifact ${hash} is missing from the store`);
    return createReadStream(path);
  }

  /** None: the API streams a folder's artifacts itself, behind its own signed route. */
  async directUrl(): Promise<string | null> {
    return null;
  }

  async delete(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  /** An ArtifactAccess for one node execution; remembers what it wrote so hosts can record it. */
  access(): ArtifactAccess & { written: ArtifactRef[] } {
    const written: ArtifactRef[] = [];
    return {
      written,
      get: (ref) => this.get(typeof ref === 'string' ? ref : ref.hash),
      path: async (ref) => this.pathOf(typeof ref === 'string' ? ref : ref.hash),
      put: async (bytes, options) => {
        const ref = await this.put(bytes, options);
        written.push(ref);
        return ref;
      },
    };
  }
}

export function refOf(hash: string, bytes: number, options: PutArtifactOptions): ArtifactRef {
  const ref: ArtifactRef = { hash, mime: options.mime, bytes };
  if (options.width !== undefined) ref.width = options.width;
  if (options.height !== undefined) ref.height = options.height;
  if (options.meta) ref.meta = options.meta;
  return ref;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
