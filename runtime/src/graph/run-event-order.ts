import type { NodeRunState } from '../scheduler/state';

/** Node states the database records; `running` is only ever told by an event (node.started). */
const WAITING: readonly NodeRunState[] = ['queued', 'pending'];

/**
 * Which run updates a client may apply, so that what it shows never goes back in time. Events carry
 * `seq` (numbered per run as they are published); a snapshot (GET /api/runs/:id, `run.snapshot`)
 * names the seq it reflects. A poll answer read before an event arrived but delivered after it is
 * older than that event: it must not overwrite the node the event moved (running → queued).
 * Browser-safe and pure: the editor holds one per watched run.
 */
export class RunEventOrder {
  private readonly nodes = new Map<string, number>();
  private run = 0;

  /** Whether to apply an event; records it. Events without seq (an older server) are applied. */
  acceptEvent(e: { seq?: number; nodeId?: string }): boolean {
    if (e.seq === undefined) return true;
    if (e.nodeId !== undefined) {
      if (e.seq <= (this.nodes.get(e.nodeId) ?? 0)) return false;
      this.nodes.set(e.nodeId, e.seq);
    } else {
      if (e.seq <= this.run) return false;
      this.run = e.seq;
    }
    return true;
  }

  /**
   * Whether a snapshot taken at `seq` may set a node from `current` to `next`: not when an event
   * newer than the snapshot was applied to that node, and never from running back to waiting (the
   * database never records running, so a snapshot of a running node says queued).
   */
  acceptSnapshotNode(nodeId: string, seq: number | undefined, current: NodeRunState | undefined, next: NodeRunState): boolean {
    if (current === 'running' && WAITING.includes(next)) return false;
    return seq === undefined || seq >= (this.nodes.get(nodeId) ?? 0);
  }

  /** Whether a snapshot taken at `seq` may set the run's status: not over a newer run event. */
  acceptSnapshotRun(seq: number | undefined): boolean {
    return seq === undefined || seq >= this.run;
  }
}
