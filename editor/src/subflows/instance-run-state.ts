import type { NodeRunState } from '../api/types';
import { useRun } from '../store/run';

/** The states that say most about a group, first: one failed inner node makes the instance failed. */
const PRECEDENCE: NodeRunState[] = ['failed', 'awaiting_review', 'running', 'queued', 'pending', 'cancelled', 'skipped', 'cached', 'done'];

/**
 * A subflow instance's run state, from its inner nodes (`<instance>/<inner>` in the run): the canvas
 * shows the instance, the run holds what it expanded to. Undefined for other nodes.
 */
export function useInstanceRunState(nodeId: string, type: string): NodeRunState | undefined {
  return useRun((s) => {
    if (!type.startsWith('subflow:')) return undefined;
    const states = new Set(Object.entries(s.nodes).filter(([key]) => key.startsWith(`${nodeId}/`)).map(([, n]) => n.state));
    if (!states.size) return undefined;
    if ([...states].every((x) => x === 'done' || x === 'cached')) return 'done';
    return PRECEDENCE.find((x) => states.has(x));
  });
}
