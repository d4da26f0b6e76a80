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

import type { ArtifactRef, GraphRunSummary, PinnedTestPhoto, PublishTemplateBody } from '@studioflow/runtime/graph';
export type { DraftRunStarted, PinnedTestPhoto, RunNodeParams } from '@studioflow/runtime/graph';
// A run's detail (GET /api/shoots/:id), snapshot (GET /api/runs/:id, `run.snapshot`) and node runs: one declaration, in the runtime.
export type { RunDetail, RunNodeDetail, RunResultUrls, RunSnapshotView } from '@studioflow/runtime/graph';

// Wire types shared with the server live in the runtime's browser-safe graph module.
export { isArtifactRef, type ArtifactRef, type ExposedParam, type NodeRunState, type RunStatus } from '@studioflow/runtime/graph';

/** An artifact ref as the API hands it out: with a short-lived signed `url` that needs no API key (<img src>). */
export interface ServedArtifact extends ArtifactRef {
  url?: string;
}

/** One row of GET /api/graphs/:id/runs (newest first); draft runs have `draft`, their hash and no version. */
export type RunSummary = GraphRunSummary;

export interface ReplayResult {
  runId: string;
  parentRunId: string;
  fromNodeId: string;
}

