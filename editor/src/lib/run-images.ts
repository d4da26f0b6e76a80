import { isArtifactRef, type ServedArtifact } from '../api/types';

/** One image a node produced: its output port (and index in a list output) and the served artifact. */
export interface NodeImage {
  port: string;
  label: string;
  artifact: ServedArtifact & { url: string };
}

/** A node's image outputs with links, in port order (a list output counts each of its images). */
export function nodeImages(outputs: Record<string, unknown> | null | undefined): NodeImage[] {
  const images: NodeImage[] = [];
  for (const [port, value] of Object.entries(outputs ?? {})) {
    const refs = Array.isArray(value) ? value : [value];
    refs.forEach((ref, i) => {
      if (!isArtifactRef(ref) || !ref.mime.startsWith('image/')) return;
      const url = (ref as ServedArtifact).url;
      if (url) images.push({ port, label: refs.length > 1 ? `${port} ${i + 1}` : port, artifact: { ...(ref as ServedArtifact), url } });
    });
  }
  return images;
}

/**
 * The image that stands for a node: its cut-out or image port, else its first image that is not a
 * mask (a by-product). Port order cannot decide: the stored outputs come back with keys re-ordered.
 */
export function previewImage(images: NodeImage[]): NodeImage | undefined {
  return images.find((i) => i.port === 'cutout' || i.port === 'image') ?? images.find((i) => i.port !== 'mask') ?? images[0];
}

/**
 * The server's resized copy of an artifact (`?w=` on the signed link, WebP): a node preview loads a
 * few kilobytes, never the full-size PNG.
 */
export function sizedUrl(url: string, width: number): string {
  return `${url}${url.includes('?') ? '&' : '?'}w=${width}`;
}

/** The numbers in a node's non-image outputs (reports, scores), by dotted path, two levels deep. */
export function outputNumbers(outputs: Record<string, unknown> | null | undefined): Record<string, number> {
  const numbers: Record<string, number> = {};
  const walk = (value: unknown, path: string, depth: number) => {
    if (typeof value === 'number' && Number.isFinite(value)) numbers[path] = value;
    else if (value && typeof value === 'object' && !Array.isArray(value) && !isArtifactRef(value) && depth < 2) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, depth + 1);
    }
  };
  for (const [port, value] of Object.entries(outputs ?? {})) walk(value, port, 0);
  return numbers;
}
