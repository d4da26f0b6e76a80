/**
 * Draft runs ("run the canvas as it is") and what a past run ran with: browser-safe types shared by
 * the server (graphs and runs services) and the editor.
 */
import type { RunStatus } from '../scheduler/state';
import type { GraphDoc } from './types';

/**
 * JSON with object keys sorted at every level: the same document in any key order gives the same
 * text, so its sha256 names the content (a draft run's `draftHash`).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What a run executed: a committed version, or a draft (the canvas as it was, named by its content hash). */
export interface RunGraphSource {
  graphId: string;
  /** The version number; null for a draft run. */
  version: number | null;
  draft: boolean;
  /** sha256 of the draft document's canonical JSON; null for a version run. */
  draftHash: string | null;
  /** "Run to here": the node the run stopped at; null for a whole run. */
  untilNodeId: string | null;
}

/** One row of GET /api/graphs/:id/runs (newest first): runs of any version of the graph, and its draft runs. */
export interface GraphRunSummary {
  id: string;
  kind: string;
  status: RunStatus;
  /** The version it ran; null for a draft run. */
  version: number | null;
  draft: boolean;
  draftHash: string | null;
  /** "Run to here": the node the run stopped at; null for a whole run. */
  untilNodeId: string | null;
  parentRunId: string | null;
  /** The node a replay started from. */
  replayFrom: string | null;
  createdAt: string;
  finishedAt: string | null;
  error: string | null;
  startedAt?: string | null;
  /** What the run cost in USD (every node execution, re-runs included). */
  costUsd?: number | null;
}

/** POST /api/graphs/:id/draft-runs as JSON (the photo pinned to the graph) or multipart (`image`, `graph` as a JSON string). */
export interface DraftRunRequest {
  graph: GraphDoc;
  /** "Run to here": only this node and its ancestors run. */
  untilNodeId?: string;
}

/** What POST /api/graphs/:id/draft-runs answers (202). */
export interface DraftRunStarted {
  id: string;
  runId: string;
  draftHash: string;
}

/** The photo pinned to a graph (PUT /api/graphs/:id/test-photo), in GET /api/graphs/:id as `testPhoto`. */
export interface PinnedTestPhoto {
  uploadId: string;
  /** A signed, short-lived link (fetch the graph again for a fresh one). */
  url: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
}

/** Per node, the params a run ran with: the plan's (defaults applied) with a replay's overrides merged. */
export type RunNodeParams = Record<string, Record<string, unknown>>;
