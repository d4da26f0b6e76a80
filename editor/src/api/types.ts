import type { GraphDoc, GraphProblem } from '@studioflow/runtime/graph';

export interface GraphSummary {
  id: string;
  name: string;
  description?: string | null;
  updatedAt: string;
  latestVersion: number | null;
}

export interface VersionSummary {
  id: string;
  version: number;
  message: string;
  createdAt: string;
}

export interface GraphDetail {
  id: string;
  name: string;
  description?: string | null;
  draft: GraphDoc;
  updatedAt: string;
  versions: VersionSummary[];
}

export interface GraphVersion {
  id: string;
  version: number;
  doc: GraphDoc;
  message: string;
  createdAt: string;
}

export interface SaveDraftResult {
  id: string;
  updatedAt: string;
  problems: GraphProblem[];
}

export interface ExposedParam {
  nodeId: string;
  param: string;
  label: string;
}

export interface PublishBody {
  graphVersionId: string;
  slug: string;
  name: string;
  description?: string;
  exposedParams: ExposedParam[];
  priceCredits: number;
}

export interface ArtifactRef {
  hash: string;
  mime: string;
  bytes: number;
  width?: number;
  height?: number;
  meta?: Record<string, unknown>;
}

export type NodeRunState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'done'
  | 'cached'
  | 'failed'
  | 'skipped'
  | 'awaiting_review';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | (string & {});

export interface ShootNode {
  nodeId: string;
  type: string;
  state: NodeRunState;
  attempts?: number;
  durationMs?: number | null;
  error?: string | null;
  outputs?: Record<string, unknown> | null;
}

export interface RunResults {
  jpeg?: string;
  webp?: string;
  thumbnail?: string;
  [key: string]: unknown;
}

export interface Shoot {
  id: string;
  status: RunStatus;
  nodes: ShootNode[];
  results?: RunResults | null;
  error?: string | null;
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { hash?: unknown }).hash === 'string' &&
    typeof (value as { mime?: unknown }).mime === 'string'
  );
}
