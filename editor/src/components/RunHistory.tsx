import { useEffect, useState } from 'react';
import { useEditor } from '../store/editor';
import { TERMINAL_PHASES, useRun } from '../store/run';
import { openRun } from '../store/actions';
import { formatCost, formatDuration, formatTime, shortId } from '../lib/format';
import { CompareRuns } from './run-view/CompareRuns';
import { statusLabel } from './run-view/status';

/** The open graph's runs (GET /api/graphs/:id/runs); clicking one shows it on the canvas. */
export function RunHistory() {
  const graphId = useEditor((s) => s.graph.id);
  const history = useRun((s) => (s.historyGraphId === graphId ? s.history : []));
  const status = useRun((s) => s.historyStatus);
  const error = useRun((s) => s.historyError);
  const currentId = useRun((s) => s.runId);
  const finished = useRun((s) => TERMINAL_PHASES.includes(s.phase));
  const [comparing, setComparing] = useState(false);

  // Reload when the graph changes, a run starts (new id) and when it ends.
  useEffect(() => {
    void useRun.getState().loadHistory(graphId);
  }, [graphId, currentId, finished]);

  if (!graphId) return null;
  return (
    <div className="sf-section sf-run-history" data-testid="run-history" data-count={history.length}>
      <div className="sf-section-title">
        Run history{' '}
        <button className="sf-link sf-small" onClick={() => void useRun.getState().loadHistory(graphId)} data-testid="btn-refresh-runs">
          refresh
        </button>{' '}
        {history.length >= 2 ? (
          <button className="sf-link sf-small" onClick={() => setComparing(true)} title="Two runs side by side: images and numbers per node" data-testid="btn-compare-runs">
            compare
          </button>
        ) : null}
      </div>
      {comparing ? <CompareRuns history={history} onClose={() => setComparing(false)} /> : null}
      {status === 'error' ? (
        <div className="sf-error-box sf-small" data-testid="run-history-error">
          {error}
        </div>
      ) : null}
      {status !== 'loading' && status !== 'error' && !history.length ? <div className="sf-muted sf-small">No runs of this graph yet.</div> : null}
      <ul className="sf-history-runs">
        {history.map((r) => {
          const current = r.id === currentId;
          const took = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt ?? r.createdAt) : null;
          return (
            <li key={r.id}>
              <button
                className={`sf-history-run ${current ? 'is-current' : ''}`}
                onClick={() => void openRun(r)}
                title={r.error ?? `Show run ${r.id} on the canvas`}
                data-testid={`run-history-item-${r.id}`}
                data-status={r.status}
                data-current={current ? 'true' : undefined}
              >
                <span className={`sf-badge sf-badge-${r.status}`} title={r.status}>
                  {statusLabel(r.status)}
                </span>
                <span className="sf-small">
                  {r.draft ? (
                    <span className="sf-badge sf-badge-draft" title={`draft run of the canvas ${r.draftHash}`} data-testid={`run-history-draft-${r.id}`}>
                      draft {r.draftHash?.slice(0, 7)}
                    </span>
                  ) : (
                    `v${r.version}`
                  )}{' '}
                  <span className="sf-mono sf-muted">{shortId(r.id)}</span>
                  {r.untilNodeId ? <span data-testid={`run-history-until-${r.id}`}> to {r.untilNodeId}</span> : null}
                </span>
                <span className="sf-small sf-muted" data-testid={`run-history-figures-${r.id}`}>
                  {[formatDuration(took), formatCost(r.costUsd)].filter(Boolean).join(' · ')}
                </span>
                <span className="sf-small sf-muted sf-history-when">
                  {formatTime(r.createdAt)}
                  {r.kind === 'shoot' ? ' · shoot' : ''}
                </span>
                {r.parentRunId ? (
                  <span className="sf-small sf-history-replay" data-testid={`run-history-replay-${r.id}`}>
                    ↻ replay of <span className="sf-mono">{shortId(r.parentRunId)}</span>
                    {r.replayFrom ? (
                      <>
                        {' '}
                        from <b>{r.replayFrom}</b>
                      </>
                    ) : null}
                  </span>
                ) : null}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
