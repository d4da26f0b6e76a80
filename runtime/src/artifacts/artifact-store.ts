import type { Readable } from 'node:stream';
import type { ArtifactRef } from '../contract/values';
import type { ArtifactAccess, PutArtifactOptions } from '../contract/context';

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
  /** Removes the artifact; removing one that is not there is not an error. */
  delete(hash: string): Promise<void>;
  /** An ArtifactAccess for one node execution; remembers what it wrote so hosts can record it. */
  access(): ArtifactAccess & { written: ArtifactRef[] };
}
