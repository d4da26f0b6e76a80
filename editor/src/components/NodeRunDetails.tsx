import { useState } from 'react';
import { REPLAYABLE_STATES, selectCanReplay, useRun } from '../store/run';
import { useEditor } from '../store/editor';
import { replayFrom } from '../store/actions';
import { formatCost, formatDuration, shortId } from '../lib/format';
import { OutputValue } from './Artifact';

export function NodeRunDetails({ nodeId }: { nodeId: string }) {
  const info = useRun((s) => s.nodes[nodeId]);
  const runId = useRun((s) => s.runId);
  const phase = useRun((s) => s.phase);
  const canReplay = useRun(selectCanReplay);
  if (!runId && !info) return null;
  const reused = !!info?.sourceRunId && info.state === 'cached';
  return (
    <div className="sf-pad sf-section" data-testid="node-run-details">
      <div className="sf-section-title">
        Run {runId ? <span className="sf-muted sf-small sf-mono">{shortId(runId)}</span> : null}
      </div>
      {!info ? (
        <div className="sf-muted sf-small">
          {phase === 'starting' || phase === 'queued' || phase === 'running' ? 'No state reported for this node yet.' : 'This node is not part of the run on screen.'}
        </div>
      ) : (
        <>
          <div className="sf-kv">
            <span>State</span>
            <span className={`sf-badge sf-badge-${info.state}`}>{info.state}</span>
            {reused ? (
              <>
                <span>Reused</span>
                <span className="sf-small" data-testid={`node-run-reused-${nodeId}`}>
                  outputs of run <span className="sf-mono">{shortId(info.sourceRunId)}</span> (not executed again)
                </span>
              </>
            ) : null}
            {info.durationMs != null ? (
              <>
                <span>Duration</span>
                <span>{formatDuration(info.durationMs)}</span>
              </>
            ) : null}
            {info.costUsd != null ? (
              <>
                <span>Cost</span>
                <span>{formatCost(info.costUsd)}</span>
              </>
            ) : null}
            {info.attempts ? (
              <>
                <span>Attempts</span>
                <span>{info.attempts}</span>
              </>
            ) : null}
            {info.state === 'running' && info.progress !== undefined ? (
              <>
                <span>Progress</span>
                <span>
                  {Math.round(info.progress * 100)}% {info.message ?? ''}
                </span>
              </>
            ) : null}
          </div>
          {info.error ? (
            <pre className="sf-error-box sf-small" data-testid={`node-run-error-${nodeId}`}>
              {info.error}
            </pre>
          ) : null}
          {canReplay && REPLAYABLE_STATES.includes(info.state) ? <ReplayControl nodeId={nodeId} /> : null}
          {info.outputs && Object.keys(info.outputs).length ? (
            <div className="sf-outputs" data-testid={`node-outputs-${nodeId}`}>
              {Object.entries(info.outputs).map(([port, value]) => (
                <div key={port} className="sf-output">
                  <div className="sf-small sf-output-port">{port}</div>
                  <OutputValue value={value} testId={`artifact-${nodeId}-${port}`} />
                </div>
              ))}
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}

function ReplayControl({ nodeId }: { nodeId: string }) {
  const [withDraft, setWithDraft] = useState(false);
  const [busy, setBusy] = useState(false);
  const draftParams = useEditor((s) => s.nodes.find((n) => n.id === nodeId)?.data.params);
  const readOnly = useEditor((s) => s.view.kind !== 'draft');
  return (
    <div className="sf-replay" data-testid={`replay-${nodeId}`}>
      <button
        className="sf-btn sf-btn-small"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          await replayFrom(nodeId, withDraft && draftParams ? draftParams : undefined);
          setBusy(false);
        }}
        title="Re-run this node and everything downstream in a new run, reusing the upstream outputs of this run"
        data-testid={`btn-replay-${nodeId}`}
      >
        ↻ Replay from here
      </button>
      {draftParams ? (
        <label className="sf-check sf-small" title="Send this node's parameters as they are on the canvas now">
          <input
            type="checkbox"
            checked={withDraft}
            onChange={(e) => setWithDraft(e.target.checked)}
            data-testid={`replay-with-params-${nodeId}`}
          />{' '}
          with the {readOnly ? 'shown' : 'draft’s'} parameters
        </label>
      ) : null}
    </div>
  );
}
