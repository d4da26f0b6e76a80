import type { ArtifactRef } from '../contract';
import type { Decision, RunSnapshot } from '../scheduler';
import type { RunDefinition, RunEventItem } from './types';

/** A run locked for one transaction: its definition, its snapshot as events apply, its billing round. */
export interface RunState {
  def: RunDefinition;
  snapshot: RunSnapshot;
  billingRound: number;
}

/** Per run, the events applied in this transaction and the decisions each produced (null: the run's start). */
export type AppliedEvents = Map<string, Array<{ item: RunEventItem | null; decisions: Decision[] }>>;

/** An artifact to record: a node's output, or a seed (the upload) under its seed name. */
export interface ArtifactRow {
  tenantId: string;
  runId: string;
  nodeId: string;
  ref: ArtifactRef;
}
