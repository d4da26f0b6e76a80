import { randomUUID } from 'node:crypto';
import type { RunCoordinator } from '../bullmq';
import { isArtifactRef } from '../contract';
import type { GraphDoc, NodeTypeDescriptor } from '../graph';
import type { NewRun } from '../store';
import { planRun, type PlanRunOptions } from './plan-run';

export interface StartRunRequest extends PlanRunOptions {
  /** Default a new uuid; a caller may choose it to listen for the run's notices before it starts. */
  runId?: string;
  tenantId: string;
  userId?: string | null;
  kind: NewRun['kind'];
  /** What the run executes: a committed version, or a draft run's recorded document (the canvas as it was). */
  version: { id: string; graphId: string; version: number; doc: GraphDoc } | { draftSnapshotId: string; graphId: string; doc: GraphDoc };
  template?: { id: string; slug: string };
  priceCredits: number;
  /** The client's name for this submission: a repeat answers the run the first one started. */
  idempotencyKey?: string | null;
  /** A hash of the request the key names (see NewRun). */
  idempotencyFingerprint?: string | null;
}

export interface StartedRun {
  runId: string;
  /** True when an earlier request with the same idempotency key had started the run. */
  repeated: boolean;
}

/**
 * Starts one run: compile, bind seeds, then one transaction that records the seed artifacts (the
 * upload), charges the credits and creates the run with its first nodes; jobs are enqueued after
 * COMMIT. All or nothing, like BullMQ's FlowProducer.add: a failure leaves no run, no charge and no
 * artifacts row (a stored file nothing refers to may stay: content-addressed, it harms nothing); a
 * crash between COMMIT and enqueue is repaired by `RunCoordinator.reconcile`.
 * Throws GraphInvalidError (bad graph, params or seeds) and InsufficientCreditsError.
 */
export async function startRun(coordinator: RunCoordinator, catalog: readonly NodeTypeDescriptor[], request: StartRunRequest): Promise<StartedRun> {
  const { plan, seeds, seedInputs } = await planRun(request.version.doc, catalog, request);
  const runId = request.runId ?? randomUUID();
  const { tenantId, version, template } = request;
  try {
    await coordinator.startRuns([
      {
        runId,
        tenantId,
        userId: request.userId ?? null,
        kind: request.kind,
        graphVersionId: 'id' in version ? version.id : null,
        draftSnapshotId: 'draftSnapshotId' in version ? version.draftSnapshotId : null,
        untilNodeId: request.untilNodeId ?? null,
        templateId: template?.id ?? null,
        plan,
        info: { runId, tenantId, graphId: version.graphId, ...('version' in version ? { graphVersion: version.version } : {}), ...(template ? { templateId: template.slug } : {}) },
        seedInputs,
        seedArtifacts: Object.entries(seeds).flatMap(([seed, value]) => (isArtifactRef(value) ? [{ seed, ref: value }] : [])),
        params: request.params ?? {},
        priceCredits: request.priceCredits,
        idempotencyKey: request.idempotencyKey ?? null,
        idempotencyFingerprint: request.idempotencyFingerprint ?? null,
      },
    ]);
  } catch (err) {
    // The same key sent twice at once: the other request's run stands, nothing was charged here.
    if (request.idempotencyKey && (err as { constraint?: string }).constraint === 'runs_idempotency_key') {
      const earlier = await coordinator.runWithIdempotencyKey(tenantId, request.idempotencyKey);
      if (earlier) return { runId: earlier, repeated: true };
    }
    throw err;
  }
  return { runId, repeated: false };
}
