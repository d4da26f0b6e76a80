import type { PortType } from '../graph/ports';
import type { PortSpec } from '../graph/types';

/** A stored file, addressed by the sha256 of its bytes. Images always travel as these. */
export interface ArtifactRef {
  hash: string;
  mime: string;
  bytes: number;
  width?: number;
  height?: number;
  /**
   * Free-form facts a node wants downstream nodes to see (bbox, channels, ...). By convention
   * `trust: { verdict: 'trusted' | 'doubtful', ... }` marks a result a person should check: a human
   * review node with `park: doubtful` parks only for those.
   */
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

/** A JSON object, as a report carries it (checks, metrics). */
export type JsonObject = { [key: string]: unknown };

/** What a score port carries: a number in [0,1] with the parts that explain it. */
export type ScoreValue = { score: number; pass?: boolean; [key: string]: unknown };

/** What a review-decision port carries: a review passes its image on only once approved. */
export type ReviewDecisionValue = { decision: 'approve'; note: string };

/** What a prompt port carries: the generation prompt compose-prompt builds, with the parts it came from. */
export type PromptValue = { format: 'studioflow.prompt/1'; positive: string; negative: string; tier: 'standard' | 'premium'; [detail: string]: unknown };

/** The value each port type carries: artifacts for pixels, JSON for small values. */
export type PortTypeValues = {
  image: ArtifactRef;
  cutout: ArtifactRef;
  mask: ArtifactRef;
  /** A single image wired in arrives as a list of one. */
  candidates: ArtifactRef[];
  prompt: PromptValue;
  score: ScoreValue;
  'review-decision': ReviewDecisionValue;
  report: JsonObject;
};

/** Port types whose values are artifact refs: checked to be one before a node runs. */
export const ARTIFACT_PORT_TYPES: readonly PortType[] = ['image', 'cutout', 'mask'];

type PortInput<S extends PortSpec> = S extends { multiple: true } ? PortTypeValues[S['type']][] : PortTypeValues[S['type']];

/**
 * A node's `inputs` as its ports declare them: a required input is there, an optional one may be
 * missing, a `multiple` one is a list, and every seed is there (bindSeeds refuses a run without it).
 */
export type NodeInputs<I extends readonly PortSpec[], Seeds extends readonly PortSpec[] = readonly []> = {
  [S in I[number] as S extends { optional: true } ? never : S['name']]: PortInput<S>;
} & {
  [S in I[number] as S extends { optional: true } ? S['name'] : never]?: PortInput<S>;
} & {
  [S in Seeds[number] as S['name']]: PortInput<S>;
};

/** Collects every artifact hash referenced by a set of port values. */
export function artifactHashes(values: PortValues | undefined): string[] {
  const out: string[] = [];
  for (const v of Object.values(values ?? {})) {
    if (isArtifactRef(v)) out.push(v.hash);
    else if (Array.isArray(v)) for (const x of v) if (isArtifactRef(x)) out.push(x.hash);
  }
  return out;
}

/** Every artifact hash anywhere in a JSON value (refs nested in reports and lists too), as the collector finds them. */
export function referencedHashes(value: unknown, out: string[] = []): string[] {
  if (isArtifactRef(value)) out.push(value.hash);
  if (Array.isArray(value)) for (const x of value) referencedHashes(x, out);
  else if (typeof value === 'object' && value !== null) for (const x of Object.values(value)) referencedHashes(x, out);
  return out;
}
