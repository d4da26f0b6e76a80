/** A stored file, addressed by the sha256 of its bytes. Images always travel as these. */
export interface ArtifactRef {
  hash: string;
  mime: string;
  bytes: number;
  width?: number;
  height?: number;
  /** Free-form facts a node wants downstream nodes to see (bbox, channels, ...). */
  meta?: Record<string, unknown>;
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  return typeof value === 'object' && value !== null && typeof (value as ArtifactRef).hash === 'string'
    && typeof (value as ArtifactRef).mime === 'string';
}

/** What flows through a port: artifact refs for pixels, plain JSON for small values. */
export type PortValue =
  | ArtifactRef
  | ArtifactRef[]
  | string
  | number
  | boolean
  | null
  | { [key: string]: unknown }
  | unknown[];

export type PortValues = Record<string, PortValue>;

/** Collects every artifact hash referenced by a set of port values. */
export function artifactHashes(values: PortValues | undefined): string[] {
  const out: string[] = [];
  for (const v of Object.values(values ?? {})) {
    if (isArtifactRef(v)) out.push(v.hash);
    else if (Array.isArray(v)) for (const x of v) if (isArtifactRef(x)) out.push(x.hash);
  }
  return out;
}
