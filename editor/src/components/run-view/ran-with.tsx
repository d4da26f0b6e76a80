import { useRun } from '../../store/run';
import { shortId } from '../../lib/format';
import type { NodeTypeDescriptor } from '@studioflow/runtime/graph';

/** The most params a node card lists. */
const CARD_PARAMS = 4;

/**
 * The params a node card lists: the draft's, or — while a past run is open — the ones that run ran
 * with (the draft's keys, plus any the run set away from its default), each marked when it differs
 * from the draft.
 */
export function useCardParams(
  nodeId: string,
  draft: Record<string, unknown> | undefined,
  descriptor: NodeTypeDescriptor | undefined,
): { entries: Array<[string, unknown, boolean]>; fromRun: boolean } {
  const ran = useRun((s) => s.ranWith?.[nodeId]);
  const own = draft ?? {};
  if (!ran) return { entries: Object.entries(own).slice(0, CARD_PARAMS).map(([k, v]) => [k, v, false]), fromRun: false };
  const defaults = descriptor?.params.properties ?? {};
  const keys = [...new Set([...Object.keys(own), ...Object.keys(ran).filter((k) => !same(ran[k], (defaults[k] as { default?: unknown } | undefined)?.default))])];
  return { entries: keys.filter((k) => k in ran).slice(0, CARD_PARAMS).map((k) => [k, ran[k], !same(ran[k], own[k] ?? (defaults[k] as { default?: unknown } | undefined)?.default)]), fromRun: true };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Says the canvas shows a past run's params, with the way back to the draft's. */
export function ViewingRunBanner() {
  const runId = useRun((s) => (s.ranWith ? s.runId : null));
  if (!runId) return null;
  return (
    <div className="sf-banner sf-banner-info" data-testid="viewing-run" data-runid={runId}>
      <span>
        Viewing run <b className="sf-mono">{shortId(runId)}</b>: node cards and the inspector show the params it ran with (read-only).
      </span>
      <button className="sf-btn sf-btn-small sf-btn-primary" onClick={() => useRun.getState().dropRanWith()} data-testid="btn-viewing-run-exit">
        Back to the draft's params
      </button>
    </div>
  );
}
