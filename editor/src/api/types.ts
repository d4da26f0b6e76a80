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
  /** The photo pinned to the graph: draft runs use it when no photo is picked. */
  testPhoto?: PinnedTestPhoto | null;
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


export type PublishBody = PublishTemplateBody;

import type { ArtifactRef, GraphRunSummary, NodeRunState, PinnedTestPhoto, PublishTemplateBody, RunGraphSource, RunNodeParams, RunStatus } from '@studioflow/runtime/graph';
export type { DraftRunStarted, PinnedTestPhoto, RunNodeParams } from '@studioflow/runtime/graph';

// Wire types shared with the server live in the runtime's browser-safe graph module.
export { isArtifactRef, type ArtifactRef, type ExposedParam, type NodeRunState, type RunStatus } from '@studioflow/runtime/graph';

/** An artifact ref as the API hands it out: with a short-lived signed `url` that needs no API key (<img src>). */
export interface ServedArtifact extends ArtifactRef {
  url?: string;
}

export interface ShootNode {
  nodeId: string;
  type: string;
  state: NodeRunState;
  attempts?: number;
  durationMs?: number | null;
  error?: string | null;
  outputs?: Record<string, unknown> | null;
  /** Set when a replay reused this node's outputs from an earlier run (the node shows state `cached`). */
  sourceRunId?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** Cost of this node's latest execution in USD (cloud price, GPU time, storage); 0 when cached; null until it finishes. */
  costUsd?: number | null;
  cost?: number | null;
}

export interface RunResults {
  jpeg?: string;
  webp?: string;
  thumbnail?: string;
  [key: string]: unknown;
}

export interface Shoot {
  id: string;
  kind?: string;
  status: RunStatus;
  nodes: ShootNode[];
  results?: RunResults | null;
  error?: string | null;
  graphVersionId?: string | null;
  /** Staff: what the run executed (a version, or a draft with its content hash). */
  graph?: RunGraphSource;
  /** Staff: per node, the params the run ran with. */
  nodeParams?: RunNodeParams;
  /** The run this one replays (POST /api/runs/:id/replay), if any. */
  parentRunId?: string | null;
  /** What the run cost so far in USD: every node execution, re-runs included. */
  costUsd?: number | null;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  /** GET /api/runs/:id: the seq of the newest run event this snapshot reflects. */
  seq?: number;
}

/** One row of GET /api/graphs/:id/runs (newest first); draft runs have `draft`, their hash and no version. */
export type RunSummary = GraphRunSummary;

export interface ReplayResult {
  runId: string;
  parentRunId: string;
  fromNodeId: string;
}

