/**
 * Fair shares across tenants, decided without I/O: which waiting batch items to admit now, and the
 * queue priority a new run's jobs get. The batch admitter and the run store feed these the counts
 * they read from PostgreSQL.
 */

/** BullMQ's largest job priority (2^21); 1 is served first, and equal priorities are FIFO. */
export const MAX_QUEUE_PRIORITY = 2_097_152;

/**
 * The priority of every job of a run, from how many runs its tenant already had active when it
 * started. A tenant's first run goes ahead of another tenant's hundredth, so one seller's single
 * shoot never queues behind a catalog; a busy tenant's own runs keep their FIFO order among
 * themselves. (BullMQ groups, which would do this per job, are a paid feature.)
 */
export function queuePriority(activeRunsOfTenant: number): number {
  return Math.min(MAX_QUEUE_PRIORITY, 1 + Math.max(0, Math.floor(activeRunsOfTenant)));
}

/** Priorities for runs started together, in order: each counts the ones before it of its tenant. */
export function queuePriorities(runs: ReadonlyArray<{ tenantId: string }>, activeByTenant: ReadonlyMap<string, number>): number[] {
  const seen = new Map<string, number>();
  return runs.map(({ tenantId }) => {
    const before = seen.get(tenantId) ?? 0;
    seen.set(tenantId, before + 1);
    return queuePriority((activeByTenant.get(tenantId) ?? 0) + before);
  });
}

export interface WaitingItem {
  tenantId: string;
}

export interface AdmissionInput<T extends WaitingItem> {
  /** Runs each tenant has queued or running now. */
  inflight: ReadonlyMap<string, number>;
  /** Items waiting, each tenant's in its own FIFO order (batches oldest first, then item order). */
  waiting: readonly T[];
  /** Runs in flight a tenant may have at most (STUDIOFLOW_TENANT_INFLIGHT). */
  perTenantLimit: number;
  /** Admissions in one round at most, so one round stays short whatever is waiting. */
  maxAdmissions: number;
}

/**
 * Round-robin over tenants with waiting items, least loaded first: one item per tenant per turn
 * until every tenant is at its in-flight limit, out of items, or the round is full. A tenant with
 * 1,000 items waiting gets no more turns than one with a single item.
 */
export function planAdmission<T extends WaitingItem>(input: AdmissionInput<T>): T[] {
  const queues = new Map<string, T[]>();
  for (const item of input.waiting) {
    const q = queues.get(item.tenantId);
    if (q) q.push(item);
    else queues.set(item.tenantId, [item]);
  }
  const room = new Map<string, number>();
  for (const tenantId of queues.keys()) room.set(tenantId, Math.max(0, input.perTenantLimit - (input.inflight.get(tenantId) ?? 0)));
  const order = [...queues.keys()].sort((a, b) => (input.inflight.get(a) ?? 0) - (input.inflight.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  const admitted: T[] = [];
  let progressed = true;
  while (progressed && admitted.length < input.maxAdmissions) {
    progressed = false;
    for (const tenantId of order) {
      if (admitted.length >= input.maxAdmissions) break;
      const q = queues.get(tenantId)!;
      if (q.length === 0 || room.get(tenantId)! <= 0) continue;
      admitted.push(q.shift()!);
      room.set(tenantId, room.get(tenantId)! - 1);
      progressed = true;
    }
  }
  return admitted;
}
