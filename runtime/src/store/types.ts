import type { ArtifactRef, NodeCost, PortValue, PortValues, RunInfo } from '../contract';
import type { NodeLogLine, Resource, RunEvent, RunEventName } from '../graph';
import type { RunPlan, SchedulerEvent } from '../scheduler';

/** What a run needs forever, fixed at creation: cached per process after the first load. */
export interface RunDefinition {
  runId: string;
  tenantId: string;
  plan: RunPlan;
  info: RunInfo;
  seedInputs: Record<string, PortValues>;
  priceCredits: number;
  /** The BullMQ priority of every job of the run (scheduler/fairness.ts `queuePriority`), fixed when it starts. */
  queuePriority?: number;
}

export interface NewRun extends RunDefinition {
  userId?: string | null;
  kind: 'shoot' | 'test' | 'bench';
  /** The committed version the run executes; null for a draft run (then `draftSnapshotId`). */
  graphVersionId: string | null;
  /** A draft run's recorded document (table draft_snapshots); exactly one of the two is set. */
  draftSnapshotId?: string | null;
  /** "Run to here": the node the run stops at (its plan holds only that node's upstream closure). */
  untilNodeId?: string | null;
  templateId?: string | null;
  parentRunId?: string | null;
  params?: Record<string, unknown>;
  /** The node a replay starts from (recorded on the run for the history). */
  replayFrom?: string;
  /** The client's name for this submission (unique per tenant): a repeat is refused by the database. */
  idempotencyKey?: string | null;
  /** A hash of what the keyed request asked for: a repeat of the key with another request is refused. */
  idempotencyFingerprint?: string | null;
  /** Stored files the run starts from (the upload), recorded in the artifacts table with the run. */
  seedArtifacts?: Array<{ seed: string; ref: ArtifactRef }>;
  /** Nodes that start finished (a replay reuses upstream outputs of its parent run). */
  initialNodes?: Record<string, { outputs: PortValues; sourceRunId: string }>;
}

/** The payload of one BullMQ job: everything a worker needs, with images as artifact refs only. */
export interface NodeJobData {
  runId: string;
  tenantId: string;
  nodeId: string;
  type: string;
  generation: number;
  params: Record<string, unknown>;
  inputs: Record<string, PortValue>;
  run: RunInfo;
  timeoutMs: number;
  /** Outputs the run consumes (PlanNode.wants); absent: all. */
  wants?: string[];
  /** The model the plan placed the node for (PlanNode.model); the host passes it as ctx.model. */
  model?: string;
}

export interface JobSpec {
  /** A resource's queue or a per-model queue (queueFor). */
  queue: string;
  jobId: string;
  data: NodeJobData;
  attempts: number;
  backoffMs: number;
  /** BullMQ priority (1 first); absent: none. */
  priority?: number;
}

/** A scheduler event plus the facts the store records with it. */
export interface RunEventItem {
  runId: string;
  event: SchedulerEvent;
  startedAt?: Date;
  finishedAt?: Date;
  attempts?: number;
  artifacts?: ArtifactRef[];
  /** What a node_succeeded execution cost (the worker host's CostMeter). */
  cost?: NodeCost;
  /** The lines the node run logged (NodeLogTap), kept with the run in the same transaction. */
  logs?: NodeLogLine[];
}

/**
 * A change the rest of the system hears about (Socket.IO, logs), published after commit: a run event
 * of the one declared map (graph/wire-types.ts) plus the tenant it belongs to. `run.completed` carries
 * the sink nodes' artifact refs; the gateway turns them into the signed `results` URLs of the wire event.
 */
export type RunNotice =
  | (RunEvent<Exclude<RunEventName, 'run.completed'>> & { tenantId: string })
  | { type: 'run.completed'; runId: string; tenantId: string; outputs: Record<string, PortValues>; costUsd?: number; seq?: number };

export interface ApplyResult {
  jobs: JobSpec[];
  notices: RunNotice[];
  aborts: Array<{ runId: string; nodeId: string; generation: number }>;
}

export class InsufficientCreditsError extends Error {
  constructor(readonly needed: number, readonly balance: number) {
    super(`not enough credits: this shoot costs ${needed}, the balance is ${balance}`);
    this.name = 'InsufficientCreditsError';
  }
}

export function jobIdFor(runId: string, nodeId: string, generation: number): string {
  // BullMQ refuses ':' in custom ids; run ids are uuids and node ids are validated.
  return `${runId}.${nodeId}.${generation}`;
}
