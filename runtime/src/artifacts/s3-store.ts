import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ArtifactRef } from '../contract/values';
import type { ArtifactAccess, PutArtifactOptions } from '../contract/context';
import { isArtifactHash, type ArtifactStore, type DirectUrlOptions } from './artifact-store';
import { refOf } from './local-store';
import { ReadThroughCache } from './read-through-cache';

export interface S3ArtifactStoreOptions {
  client: S3Client;
  /** Signs direct URLs; a second client when browsers reach the store under another address. */
  presignClient?: S3Client;
  bucket: string;
  /** Put before every key, e.g. `artifacts/`. */
  prefix?: string;
  /** This process's read-through cache folder (also where uploads are staged). */
  cacheDir: string;
  /** Bytes the cache may hold; 0 turns reuse off (every read downloads). */
  cacheBytes: number;
  /** How long a cached copy handed out is kept even over the budget (a library may open it a moment later). */
  cachePinMs?: number;
  /** Uploads larger than this go in parts of this size (S3's minimum part is 5 MiB). */
  partBytes?: number;
}

const MIN_PART_BYTES = 5 * 2 ** 20;

/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph RGW), keyed by sha256, so identical
 * content is stored once whoever writes it. Reads go through a bounded local copy per process: the
 * next node of a run on this machine does not download again, and libraries that read files get one.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly stagingDir: string;
  readonly cache: ReadThroughCache;
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;

  constructor(o: S3ArtifactStoreOptions) {
    this.client = o.client;
    this.presignClient = o.presignClient ?? o.client;
    this.bucket = o.bucket;
    this.prefix = o.prefix ?? '';
    this.partBytes = Math.max(MIN_PART_BYTES, o.partBytes ?? 16 * 2 ** 20);
    this.cache = new ReadThroughCache(o.cacheDir, o.cacheBytes, o.cachePinMs);
    // Inside the cache folder: a staged upload is renamed into the cache once stored.
    this.stagingDir = join(o.cacheDir, 'tmp');
    mkdirSync(this.stagingDir, { recursive: true });
  }

  keyOf(hash: string): string {
    if (!isArtifactHash(hash)) throw new Error(`not an artifact hash: ${hash.slice(0, 80)}`);
    return `${this.prefix}${hash}`;
  }

  async put(bytes: Buffer, options: PutArtifactOptions): Promise<ArtifactRef> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const stored = (async () => {
      if (!(await this.has(hash))) await this.upload(hash, bytes, bytes.length, options.mime);
    })();
    // Write-through, beside the upload: the next node on this machine reads the local copy.
    const cached = this.cache.maxBytes > 0 && !this.cache.lookup(hash) ? this.writeThrough(hash, bytes) : Promise.resolve();
    const [upload, local] = await Promise.allSettled([stored, cached]);
    if (upload.status === 'rejected') {
      await this.cache.drop(hash);
      throw upload.reason;
    }
    // The object is stored: a local copy that could not be written only costs a download later.
    if (local.status === 'rejected') await this.cache.drop(hash);
    return refOf(hash, bytes.length, options);
  }

  async putFile(stagedPath: string, hash: string, bytes: number, options: PutArtifactOptions): Promise<ArtifactRef> {
    this.keyOf(hash);
    if (!(await this.has(hash))) await this.upload(hash, createReadStream(stagedPath), bytes, options.mime);
    if (this.cache.maxBytes > 0) await this.cache.adopt(hash, stagedPath, bytes);
    else await rm(stagedPath, { force: true });
    return refOf(hash, bytes, options);
  }

  async get(hash: string): Promise<Buffer> {
    if (this.cache.maxBytes > 0) return readFile(await this.localPath(hash));
    const bytes = Buffer.from(await (await this.object(hash)).transformToByteArray());
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== hash) throw corrupt(hash, actual);
    return bytes;
  }

  async has(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async localPath(hash: string): Promise<string> {
    return this.cache.fill(hash, (tmp) => this.download(hash, tmp));
  }

  async createReadStream(hash: string): Promise<Readable> {
    const cached = this.cache.lookup(hash);
    if (cached) return createReadStream(cached);
    // Straight from the store: a download to a browser or into a zip need not wait for a local copy.
    return (await this.object(hash)) as Readable;
  }

  async directUrl(hash: string, options: DirectUrlOptions): Promise<string | null> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(hash),
      ResponseContentType: options.mime,
      ResponseCacheControl: `private, max-age=${options.expiresInS}, immutable`,
      ...(options.filename ? { ResponseContentDisposition: attachment(options.filename) } : {}),
    });
    return getSignedUrl(this.presignClient, command, { expiresIn: options.expiresInS });
  }

  async delete(hash: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
    await this.cache.drop(hash);
  }

  access(): ArtifactAccess & { written: ArtifactRef[] } {
    const written: ArtifactRef[] = [];
    const hashOf = (ref: ArtifactRef | string) => (typeof ref === 'string' ? ref : ref.hash);
    return {
      written,
      get: (ref) => this.get(hashOf(ref)),
      path: (ref) => this.localPath(hashOf(ref)),
      put: async (bytes, options) => {
        const ref = await this.put(bytes, options);
        written.push(ref);
        return ref;
      },
    };
  }

  private async writeThrough(hash: string, bytes: Buffer): Promise<void> {
    const tmp = this.cache.tmpPath(hash);
    try {
      await writeFile(tmp, bytes);
      await this.cache.adopt(hash, tmp, bytes.length);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** One PUT, or a multipart upload in `partBytes` parts when larger. */
  private async upload(hash: string, body: Buffer | Readable, bytes: number, mime: string): Promise<void> {
    const params = { Bucket: this.bucket, Key: this.keyOf(hash), Body: body, ContentType: mime, ContentLength: bytes };
    await new Upload({ client: this.client, params, partSize: this.partBytes, queueSize: 4, leavePartsOnError: false }).done();
  }

  /** Streams the object into `tmp`, checking its sha256 on the way: a corrupted copy never enters the cache. */
  private async download(hash: string, tmp: string): Promise<number> {
    const body = (await this.object(hash)) as Readable;
    const digest = createHash('sha256');
    let bytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        digest.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(body, hashing, createWriteStream(tmp));
    const actual = digest.digest('hex');
    if (actual !== hash) throw corrupt(hash, actual);
    return bytes;
  }

  private async object(hash: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
      if (!out.Body) throw new Error(`artifact ${hash} came back from the store without a body`);
      return out.Body as Readable & { transformToByteArray(): Promise<Uint8Array> };
    } catch (err) {
      if (isNotFound(err)) throw new Error(`artifact ${hash} is missing from the store`);
      throw err;
    }
  }
}

/** A Content-Disposition for a plain file name (the caller checked it: letters, digits, `.`, `-`, `_`). */
export function attachment(filename: string): string {
  return `attachment; filename="${filename}"`;
}

function corrupt(hash: string, actual: string): Error {
  return new Error(`artifact ${hash} read back from the store as ${actual}: the stored object is corrupt`);
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
