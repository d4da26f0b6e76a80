import { shortId } from '../lib/format';
import { runCanvas } from '../store/draft-run';
import { useEditor } from '../store/editor';
import { useRun } from '../store/run';

/** "Run to here": a draft run of this node and its ancestors only (nothing downstream runs or is charged). */
export function RunToHereButton({ nodeId }: { nodeId: string }) {
  const graphId = useEditor((s) => s.graph.id);
  const draftView = useEditor((s) => s.view.kind === 'draft');
  const busy = useRun((s) => s.phase === 'starting' || s.phase === 'queued' || s.phase === 'running');
  return (
    <button
      className="sf-btn sf-btn-small"
      disabled={!graphId || !draftView || busy}
      onClick={() => void runCanvas(nodeId)}
      title={graphId ? `Run ${nodeId} and what it needs, on the canvas as it is` : 'Save the graph once to run it'}
      data-testid="btn-run-to-here"
    >
      ▶ Run to here
    </button>
  );
}

/**
 * Above a node's params while a past run is shown: they are the params that run ran with (read-only),
 * not the draft's; "edit draft" goes back to the canvas's own.
 */
export function RanWithNote({ inRun }: { inRun: boolean }) {
  const runId = useRun((s) => s.runId);
  const draftHash = useRun((s) => s.draftHash);
  const version = useRun((s) => s.version);
  const what = draftHash ? `draft ${draftHash.slice(0, 7)}` : version ? `v${version}` : 'the run';
  return (
    <div className="sf-small sf-ran-with" data-testid="ran-with-note" data-in-run={inRun ? 'true' : 'false'}>
      {inRun ? (
        <>
          As run <span className="sf-mono">{shortId(runId)}</span> ({what}) ran them, read-only.{' '}
        </>
      ) : (
        <>Not part of run {shortId(runId)}; showing the draft's. </>
      )}
      <button className="sf-link sf-small" onClick={() => useRun.getState().dropRanWith()} data-testid="btn-edit-draft-params">
        edit draft
      </button>
    </div>
  );
}
