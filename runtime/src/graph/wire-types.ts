/**
 * Types that cross the API boundary, shared by the server and the editor (type-only re-exports
 * and pure helpers, so this stays browser-safe).
 */
import type { PortValues } from '../contract/values';
export { isArtifactRef, type ArtifactRef, type PortValue, type PortValues } from '../contract/values';
import type { NodeRunState, RunStatus } from '../scheduler/state';
import type { CostPart } from '../contract/cost';
import type { RunGraphSource, RunNodeParams } from './draft-runs';
import type { ShootExtras, TemplateOption } from './shoot-views';
export type { NodeRunState, RunStatus } from '../scheduler/state';

/** A template param an end user may set: `<nodeId>.<param>` with a label and optional allowed values. */
export interface ExposedParam {
  nodeId: string;
  param: string;
  label: string;
  allowed?: unknown[];
}

/** `private`: only the owning tenant sees and uses it; `public`: listed for every tenant, price shown. */
export type TemplateVisibility = 'private' | 'public';

/** POST /api/templates: publish a graph version as a template. */
export interface PublishTemplateBody {
  graphVersionId: string;
  slug: string;
  name: string;
  description?: string;
  exposedParams: ExposedParam[];
  priceCredits: number;
  /** Defaults to `private`. */
  visibility?: TemplateVisibility;
}

/** GET /api/templates: one template a caller may use. */
export interface TemplateListing extends Omit<PublishTemplateBody, 'description' | 'visibility'> {
  id: string;
  tenantId: string;
  description: string;
  visibility: TemplateVisibility;
  publishedAt: string;
  /**
   * Staff only: why the template cannot run here (no generation provider configured, with what to
   * configure). Sellers never see such a template.
   */
  needsProvider?: string;
  /** The exposed params as form fields (schema and default), for the shoot app. */
  options?: TemplateOption[];
  /**
   * The card's preview image: the template's current version run once on the bundled sample photo
   * (a signed URL, no key needed). Absent until that run delivered, and for a template that cannot
   * run here: show a placeholder.
   */
  previewUrl?: string;
}

/** Fields every run event carries. */
export interface RunEventBase {
  runId: string;
  /**
   * The event's place in its run: 1, 2, 3, … in the order the events were published, assigned by
   * Redis as they are (NoticePublisher), so every process agrees. Always present on the wire; a
   * snapshot (GET /api/runs/:id) names the seq it reflects, and a client drops anything older.
   */
  seq?: number;
}

/** Fields every node event carries. */
export interface NodeEventBase extends RunEventBase {
  nodeId: string;
}

/** A node entering a state that is neither running nor finished (queued, pending, skipped, …). */
export interface NodeStateEvent extends NodeEventBase {
  state: NodeRunState;
  error?: string;
}

/** A run's results as the browser gets them: signed download URLs by output port (jpeg, webp, thumbnail, …). */
export type RunResultUrls = Record<string, string>;

/**
 * Every event a run sends to the browser, by name: the runtime publishes them (as `RunNotice`s),
 * the Socket.IO gateway emits them and the editor listens to them — one declaration for all three.
 */
export interface RunEventMap {
  'run.started': RunEventBase;
  /** costUsd: what every node execution of the run cost, re-runs included (US dollars). */
  'run.completed': RunEventBase & { results: RunResultUrls; costUsd?: number };
  'run.failed': RunEventBase & { error?: string };
  'run.cancelled': RunEventBase & { error?: string };
  'run.awaiting_review': RunEventBase;
  'node.queued': NodeStateEvent;
  'node.pending': NodeStateEvent;
  'node.skipped': NodeStateEvent;
  'node.cancelled': NodeStateEvent;
  'node.awaiting_review': NodeStateEvent;
  'node.started': NodeEventBase & { attempt: number };
  /** Progress in [0,1], throttled by the worker host. */
  'node.progress': NodeEventBase & { progress: number; message?: string };
  /** Artifact refs in `outputs` carry a signed `url` on the wire. costUsd: this execution's cost (0 when cached). */
  'node.completed': NodeEventBase & { state: 'done' | 'cached'; outputs?: PortValues; cached?: boolean; durationMs?: number; sourceRunId?: string | null; costUsd?: number | null };
  'node.failed': NodeEventBase & { state: 'failed'; error?: string; durationMs?: number };
  /** A line a node logged (ctx.log), live: rate-limited and truncated; the run keeps them (GET /api/runs/:id/logs). */
  'node.log': NodeEventBase & NodeLogLine;
}

/** One line a node run logged (ctx.log), as streamed and as kept for the run. */
export interface NodeLogLine {
  attempt: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** ISO 8601 */
  at: string;
}

/** GET /api/runs/:id/logs: the lines every node run logged, oldest first (`truncated`: lines beyond a node run's limit were not kept). */
export interface RunLogEntry extends NodeLogLine {
  nodeId: string;
}

export type RunEventName = keyof RunEventMap;

/** What started a run: a seller's shoot, a staff test run (versions, drafts, replays) or a bench run. */
export type RunKind = 'shoot' | 'test' | 'bench';

/** One node of a run as GET /api/runs/:id and /api/shoots/:id answer it (artifact refs carry a signed `url`). */
export interface RunNodeDetail {
  nodeId: string;
  type: string;
  state: NodeRunState;
  attempts: number;
  durationMs: number | null;
  error: string | null;
  outputs: PortValues;
  /** Set when a replay reused this node's outputs from an earlier run (the node shows state `cached`). */
  sourceRunId: string | null;
  /** The latest execution's cost in USD (0 when cached); null until it finishes. */
  costUsd: number | null;
  costParts: CostPart[] | null;
  /** ISO 8601 */
  startedAt: string | null;
  /** ISO 8601 */
  finishedAt: string | null;
}

/** GET /api/shoots/:id: a run with its node states, outputs and results (dates as ISO 8601). */
export interface RunDetail extends ShootExtras {
  id: string;
  kind: RunKind;
  status: RunStatus;
  templateId: string | null;
  /** Null for a draft run (see `graph`). */
  graphVersionId: string | null;
  /** Staff only: what the run executed (a version, or a draft with its content hash). */
  graph?: RunGraphSource;
  /** Staff only: per node, the params the run ran with (defaults applied, retry overrides merged). */
  nodeParams?: RunNodeParams;
  params: Record<string, unknown>;
  /** The run this one replays, if any. */
  parentRunId: string | null;
  priceCredits: number;
  /** What the run cost so far: every node execution, re-runs included (US dollars). */
  costUsd: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  results: RunResultUrls;
  nodes: RunNodeDetail[];
}

/** GET /api/runs/:id and the `run.snapshot` event: a run's detail with the seq of the newest event it reflects. */
export interface RunSnapshotView extends RunDetail {
  seq: number;
}

/**
 * Everything a socket subscribed to a run hears: the runtime's events (RunEventMap) and, right after
 * `subscribe`, the gateway's `run.snapshot` (never published by the runtime, so not a RunNotice).
 */
export interface RunSocketEventMap extends RunEventMap {
  'run.snapshot': RunSnapshotView;
}

/**
 * What a socket sends as `subscribe` (and `unsubscribe`): one run's events, or — staff and reviewers
 * only — the tenant feed, every run of the tenant. A socket hears nothing until it subscribes.
 */
export type SubscribeRequest = { runId: string } | { feed: 'tenant' } | { feed: 'reviews' };

/** The acknowledgement of `subscribe`: a run's answer carries its status (the `run.snapshot` event follows). */
export type SubscribeAck = { ok: true; status?: string } | { ok: false; error: string };

/** One event with its name in `type` (how the runtime publishes them). */
export type RunEvent<K extends RunEventName = RunEventName> = { [P in K]: { type: P } & RunEventMap[P] }[K];

/** The node events that only report a state change. */
export const NODE_STATE_EVENTS = ['node.queued', 'node.pending', 'node.skipped', 'node.cancelled', 'node.awaiting_review'] as const satisfies readonly RunEventName[];
