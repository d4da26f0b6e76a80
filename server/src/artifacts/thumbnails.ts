import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { ARTIFACT_STORE } from '../db/infra.module';

/** Widths a client may ask for (`?w=`): a node's preview, a lightbox, a side-by-side compare. */
export const THUMBNAIL_WIDTHS = { min: 16, max: 1024 };
/** Bytes of derived images kept in memory; an evicted one is derived again on demand. */
const CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Small derived images of artifacts (the canvas shows a 160 px preview, never the 2048 px PNG):
 * resized by sharp on first request and kept in a byte-bounded LRU. The key is the artifact's hash
 * and the width, so an entry never goes stale; concurrent requests for one share the work.
 */
@Injectable()
export class ArtifactThumbnails {
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  /** How many thumbnails were derived (not served from the cache): for tests and metrics. */
  derived = 0;

  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  async get(hash: string, width: number): Promise<Buffer> {
    const key = `${hash}:${width}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.derive(hash, width).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async derive(hash: string, width: number): Promise<Buffer> {
    // Read whole first: a stream error (a missing file) then rejects here instead of stalling sharp's input.
    const chunks: Buffer[] = [];
    for await (const chunk of await this.store.createReadStream(hash)) chunks.push(chunk as Buffer);
    const out = await sharp(Buffer.concat(chunks), { failOn: 'none' })
      .rotate()
      .resize({ width, height: width, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    this.derived++;
    const key = `${hash}:${width}`;
    this.cache.set(key, out);
    this.cachedBytes += out.length;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(k);
      this.cachedBytes -= v.length;
    }
    return out;
  }
}
