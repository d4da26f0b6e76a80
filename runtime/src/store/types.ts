import type { ArtifactRef, PortValue, PortValues, RunInfo } from '../contract';
import type { Resource } from '../graph';
import type { RunPlan, SchedulerEvent } from '../scheduler';

/** What a run needs forever, fixed at creation: cached per process after the first load. */
export interface RunDefinition {
  runId: string;
  tenantId: string;
  plan: RunPlan;
  info: RunInfo;
  seedInputs: Record<string, PortValues>;
  priceCredits: number;
}

export interface NewRun extends RunDefinition {
  userId?: string | null;
  kind: 'shoot' | 'test' | 'bench';
  graphVersionId: string;
  templateId?: string | null;
  parentRunId?: string | null;
  params?: Record<string, unknown>;
  /** The node a replay starts from (recorded on the run for the history). */
  replayFrom?: string;
  /** The client's name for this submission (unique per tenant): a repeat is refused by the database. */
  idempotencyKey?: string | null;
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
}

/** A scheduler event plus the facts the store records with it. */
export interface RunEventItem {
  runId: string;
  event: SchedulerEvent;
  startedAt?: Date;
  finishedAt?: Date;
  attempts?: number;
  artifacts?: ArtifactRef[];
}

/** A change the rest of the system hears about (Socket.IO, logs). Published after commit. */
export interface RunNotice {
  type:
    | 'run.started'
    | 'run.completed'
    | 'run.failed'
    | 'run.cancelled'
    | 'run.awaiting_review'
    | 'node.queued'
    | 'node.awaiting_review'
    | 'node.pending'
    | 'node.started'
    | 'node.progress'
    | 'node.completed'
    | 'node.failed'
    | 'node.skipped'
    | 'node.cancelled';
  runId: string;
  tenantId: string;
  nodeId?: string;
  [key: string]: unknown;
}

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
