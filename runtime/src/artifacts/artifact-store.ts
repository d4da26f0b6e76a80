import type { Readable } from 'node:stream';
import type { ArtifactRef } from '../contract/values';
import type { ArtifactAccess, PutArtifactOptions } from '../contract/context';

const HASH_RE = /^[a-f0-9]{64}$/;

/** Whether `value` is an artifact's key: a lowercase hex sha256. */
export function isArtifactHash(value: string): boolean {
  return HASH_RE.test(value);
}

export interface DirectUrlOptions {
  /** The Content-Type the response declares (one content may be stored under several mimes). */
  mime: string;
  expiresInS: number;
  /** Served as an attachment under this name (a download link) rather than shown inline. */
  filename?: string;
}

/**
 * Where artifacts live: content-addressed by sha256, whatever the backing (a local folder, S3-compatible
 * object storage). Every process (API, CPU workers, GPU runtime, CLI) reaches artifacts only through this.
 */
export interface ArtifactStore {
  /** A local folder, on this machine, where uploads are staged before `putFile` takes them in. */
  readonly stagingDir: string;
  put(bytes: Buffer, options: PutArtifactOptions): Promise<ArtifactRef>;
  /** Takes in a staged file whose sha256 the caller computed while writing it; the file is gone afterwards. */
  putFile(stagedPath: string, hash: string, bytes: number, options: PutArtifactOptions): Promise<ArtifactRef>;
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  /** A readable file on this machine holding the artifact (a remote store fills a local read-through cache). */
  localPath(hash: string): Promise<string>;
  /** Streams the artifact without holding it in memory. */
  createReadStream(hash: string): Promise<Readable>;
  /**
   * A URL from which a browser or webhook receiver fetches the artifact directly for `expiresInS`
   * seconds (an S3 pre-signed GET), or null when the store has none and the API serves the bytes.
   */
  directUrl(hash: string, options: DirectUrlOptions): Promise<string | null>;
  /** Removes the artifact; removing one that is not there is not an error. */
  delete(hash: string): Promise<void>;
  /** An ArtifactAccess for one node execution; remembers what it wrote so hosts can record it. */
  access(): ArtifactAccess & { written: ArtifactRef[] };
}
