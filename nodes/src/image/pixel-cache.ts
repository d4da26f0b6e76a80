import { LRUCache } from 'lru-cache';
import type { RawImage } from './raw-image';

/**
 * Decoded pixels of the intermediate artifacts this worker process wrote or read, by content hash.
 * Consecutive nodes of a run usually land on the same worker: the next one then skips reading and
 * decoding the PNG (3-4 MP: 10-20 ms each). Keyed by the content hash, so an entry is always the
 * exact pixels of that artifact; a miss falls back to decoding. Entries are shared and read-only:
 * a node that edits pixels in place asks for a private copy (see loadImage).
 */
/** Room for the last few hand-offs of a 2048 px chain (a frame is 12 MB) while peak RSS stays under 300 MB. */
const DEFAULT_BUDGET_MB = 32;

function budgetBytes(): number {
  const mb = Number(process.env.STUDIOFLOW_PIXEL_CACHE_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : DEFAULT_BUDGET_MB) * 1024 * 1024;
}

let cache: LRUCache<string, RawImage> | null | undefined;

function instance(): LRUCache<string, RawImage> | null {
  if (cache === undefined) {
    const max = budgetBytes();
    cache = max > 0 ? new LRUCache<string, RawImage>({ maxSize: max, maxEntrySize: max / 2, sizeCalculation: (img) => Math.max(1, img.data.length) }) : null;
  }
  return cache;
}

export const pixelCache = {
  get(hash: string): RawImage | undefined {
    return instance()?.get(hash);
  },
  /** The caller must not modify `img` afterwards. */
  set(hash: string, img: RawImage): void {
    instance()?.set(hash, img);
  },
  clear(): void {
    instance()?.clear();
  },
  /** Re-reads STUDIOFLOW_PIXEL_CACHE_MB (tests). */
  reset(): void {
    cache = undefined;
  },
};
