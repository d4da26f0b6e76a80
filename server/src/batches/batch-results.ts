import { posix } from 'node:path';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { isArtifactRef, type ArtifactRef } from '@studioflow/runtime/contract';

export interface CompletedItem {
  ordinal: number;
  /** The image's path in the uploaded zip. */
  name: string;
  /** The item's run outputs (sink node → port → value). */
  outputs: Record<string, Record<string, unknown>> | null;
}

/**
 * Streams a batch's results as a zip: each delivered image (thumbnails left out) named after its
 * item, `shoes/red.png` → `shoes/red.jpg`, `shoes/red.webp`. Stored without compression: the images
 * are compressed already. Item names were checked as safe paths when the catalog was uploaded.
 */
export async function writeResultsZip(items: CompletedItem[], open: (hash: string) => Promise<Readable>, out: Writable, isStored: (hash: string) => Promise<boolean> = async () => true): Promise<void> {
  // archiver is an ES module; this package is CommonJS.
  const { ZipArchive } = await import('archiver');
  const zip = new ZipArchive({ store: true });
  const done = new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    out.on('error', reject);
    out.on('finish', resolve);
    out.on('close', resolve);
  });
  zip.pipe(out);
  const taken = new Set<string>();
  for (const item of items) {
    const base = item.name.slice(0, item.name.length - posix.extname(item.name).length) || `item-${item.ordinal}`;
    for (const ref of deliveredImages(item.outputs)) {
      // Past the delivery retention the collector deleted it: the zip holds what is left.
      if (!(await isStored(ref.hash))) continue;
      const ext = extensionOf(ref.mime);
      // Two items may share a base name (a.png and a.jpg): the later one gets its number.
      const name = taken.has(`${base}.${ext}`) ? `${base}-${item.ordinal}.${ext}` : `${base}.${ext}`;
      taken.add(name);
      // One stream open at a time: the next image is opened once the zip has taken this one.
      const entered = once(zip, 'entry');
      const body = await open(ref.hash);
      zip.append(body, { name });
      // A client gone mid-download ends the response: stop reading instead of waiting for an entry forever.
      const gone = done.then(() => Promise.reject(new Error('the download was closed before the zip was complete')));
      await Promise.race([entered, gone]).catch((err: Error) => {
        body.destroy();
        zip.abort();
        throw err;
      });
    }
  }
  await zip.finalize();
  await done;
}

/** A run's delivered images: the sink outputs' image artifacts, the thumbnail left out. */
export function deliveredImages(outputs: CompletedItem['outputs']): ArtifactRef[] {
  const refs: ArtifactRef[] = [];
  for (const ports of Object.values(outputs ?? {})) {
    for (const [port, value] of Object.entries(ports)) if (port !== 'thumbnail' && isArtifactRef(value) && value.mime?.startsWith('image/')) refs.push(value);
  }
  return refs;
}

function extensionOf(mime: string | undefined): string {
  const sub = (mime ?? 'image/jpeg').slice('image/'.length);
  return sub === 'jpeg' ? 'jpg' : sub.replace(/[^a-z0-9]/g, '') || 'img';
}
