import { useEffect, useMemo, useState } from 'react';
import { selectDirty, useEditor } from '../store/editor';
import { useRun } from '../store/run';
import { useUi } from '../store/ui';
import { formatBytes, formatCost, formatDuration, shortId } from '../lib/format';
import { ResultImage } from './Artifact';
import { useFocusNode } from './ProblemsPanel';
import { RunHistory } from './RunHistory';
import { DraftRunControls } from './DraftRunControls';
import { useTestPhoto } from '../store/test-photo';
import { statusLabel } from './run-view/status';
import { ReportChip } from './run-view/ReportChip';

export function RunPanel() {
  const versions = useEditor((s) => s.graph.versions);
  const graphId = useEditor((s) => s.graph.id);
  const dirty = useEditor(selectDirty);
  const view = useEditor((s) => s.view);
  const run = useRun();
  // The chosen photo outlives the panel (switching to the inspector and back keeps it).
  const file = useUi((s) => s.runFile);
  const setFile = useUi((s) => s.setRunFile);
  const [preview, setPreview] = useState<string | null>(null);
  const pinned = useTestPhoto((s) => (s.graphId === graphId ? s.photo : null));
  const sorted = useMemo(() => [...versions].sort((a, b) => b.version - a.version), [versions]);
  const [picked, setPicked] = useState<number | null>(null);
  const focus = useFocusNode();

  const defaultVersion = view.kind === 'version' ? view.version : sorted[0]?.version ?? null;
  const version = sorted.find((v) => v.version === (picked ?? defaultVersion)) ?? sorted[0];

  useEffect(() => {
    if (!file) return setPreview(null);
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  // A run parked for review holds no worker: the next run may start (the parked one waits for its reviewer).
  const busy = run.phase === 'starting' || run.phase === 'queued' || run.phase === 'running';
  const hint = !graphId
    ? 'Save and commit the graph to run it.'
    : !version
      ? 'Commit a version first: runs execute committed versions.'
      : !file && !pinned
        ? 'Pick a product photo.'
        : null;

  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [busy]);
  const elapsed = run.startedAt ? (run.finishedAt ?? now) - run.startedAt : null;
  const results = run.results
    ? Object.entries(run.results).filter((e): e is [string, string] => typeof e[1] === 'string')
    : [];
  const rank = (id: string) => {
    const i = run.order.indexOf(id);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const nodeList = Object.entries(run.nodes).sort(([a], [b]) => rank(a) - rank(b));
  const reusedCount = nodeList.filter(([, n]) => n.state === 'cached' && n.sourceRunId).length;
  const costs = nodeList.map(([, n]) => n.costUsd).filter((c): c is number => typeof c === 'number');
  // The server's total counts re-runs too; the sum of the nodes shown is the fallback until it arrives.
  const totalCost = run.costUsd ?? (costs.length ? costs.reduce((a, b) => a + b, 0) : null);

  return (
    <div className="sf-run sf-pad" data-testid="run-panel">
      <DraftRunControls />
      <div className="sf-field">
        <label htmlFor="run-file">Product photo</label>
        <input
          id="run-file"
          type="file"
          accept="image/png,image/jpeg,image/webp,image/heic,image/*"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          data-testid="run-file-input"
        />
        {file ? (
          <div className="sf-muted sf-small" data-testid="run-file-name">
            {file.name} · {formatBytes(file.size)}
          </div>
        ) : null}
        {preview ? <img className="sf-run-preview" src={preview} alt="input preview" data-testid="run-file-preview" /> : null}
      </div>
      <div className="sf-field">
        <label htmlFor="run-version">Version</label>
        <select
          id="run-version"
          value={version?.version ?? ''}
          onChange={(e) => setPicked(Number(e.target.value))}
          disabled={!sorted.length}
          data-testid="run-version-select"
        >
          {!sorted.length ? <option value="">no committed versions</option> : null}
          {sorted.map((v) => (
            <option key={v.id} value={v.version}>
              v{v.version} — {v.message || 'no message'}
            </option>
          ))}
        </select>
        {dirty && version ? <div className="sf-help">The draft has unsaved changes; the run uses committed v{version.version}.</div> : null}
      </div>
      <div className="sf-btn-row">
        <button
          className="sf-btn"
          disabled={!!hint || busy}
          onClick={() => version && void run.start(file, version.id, version.version)}
          data-testid="btn-run"
        >
          {busy ? 'Running…' : `▶ Run v${version?.version ?? ''}`}
        </button>
        {run.phase !== 'idle' ? (
          <button className="sf-btn" onClick={() => run.clear()} data-testid="btn-run-clear">
            Clear
          </button>
        ) : null}
      </div>
      {hint ? (
        <div className="sf-muted sf-small" data-testid="run-hint">
          {hint}
        </div>
      ) : null}

      {run.phase !== 'idle' ? (
        <div className="sf-section">
          <div className="sf-run-status" data-testid="run-status" data-phase={run.phase}>
            <span className={`sf-badge sf-badge-${run.phase}`} title={run.phase}>
              {statusLabel(run.phase)}
            </span>
            {run.version ? <span className="sf-small">v{run.version}</span> : null}
            {run.draftHash ? (
              <span className="sf-badge sf-badge-draft" title={`draft run of the canvas ${run.draftHash}`} data-testid="run-draft-tag">
                draft {run.draftHash.slice(0, 7)}
              </span>
            ) : null}
            {run.untilNodeId ? <span className="sf-small">to {run.untilNodeId}</span> : null}
            {elapsed != null ? <span className="sf-small sf-muted">{formatDuration(elapsed)}</span> : null}
            <span className="sf-small sf-muted" title="live updates">
              live: {run.socket === 'connected' ? 'socket' : busy ? 'polling' : '—'}
            </span>
          </div>
          {run.phase === 'awaiting_review' ? (
            <div className="sf-small sf-review-wait" data-testid="run-waiting-review">
              Waiting for review: the run is parked until a reviewer decides in the review console (/review).
            </div>
          ) : null}
          {run.runId ? <div className="sf-muted sf-small sf-mono">run {run.runId}</div> : null}
          {run.parentRunId ? (
            <div className="sf-small sf-run-parent" data-testid="run-parent" data-parent={run.parentRunId}>
              ↻ replay of run <span className="sf-mono">{shortId(run.parentRunId)}</span>
              {run.replayFrom ? (
                <>
                  {' '}
                  from <b>{run.replayFrom}</b>
                </>
              ) : null}
              {reusedCount ? ` · ${reusedCount} node${reusedCount > 1 ? 's' : ''} reused` : ''}
            </div>
          ) : null}
          {totalCost != null ? (
            <div className="sf-small" data-testid="run-cost">
              cost {formatCost(totalCost)}
            </div>
          ) : null}
          {run.error ? (
            <pre className="sf-error-box sf-small" data-testid="run-error">
              {run.error}
            </pre>
          ) : null}
          <ul className="sf-run-nodes">
            {nodeList.map(([id, n]) => {
              const reused = n.state === 'cached' && !!n.sourceRunId;
              return (
                <li key={id}>
                  <button
                    className="sf-run-node"
                    onClick={() => focus(id)}
                    data-testid={`run-node-${id}`}
                    data-state={n.state}
                    data-reused={reused ? 'true' : undefined}
                    title={reused ? `outputs reused from run ${n.sourceRunId}` : undefined}
                  >
                    <span className={`sf-badge sf-badge-${n.state}`}>{reused ? 'reused' : statusLabel(n.state)}</span>
                    <span className="sf-mono sf-small">{id}</span>
                    <ReportChip outputs={n.outputs} />
                    <span className="sf-muted sf-small">
                      {n.state === 'running' && n.progress !== undefined
                        ? `${Math.round(n.progress * 100)}%`
                        : reused
                          ? `from ${shortId(n.sourceRunId)}`
                          : [formatDuration(n.durationMs), formatCost(n.costUsd)].filter(Boolean).join(' · ')}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          {results.length ? (
            <div className="sf-results" data-testid="run-results">
              {results.map(([label, url]) => (
                <ResultImage key={label} label={label} url={url} />
              ))}
            </div>
          ) : null}
          <div className="sf-muted sf-small">Click a node to see its outputs in the inspector; replay from any node there.</div>
        </div>
      ) : null}
      <RunHistory />
    </div>
  );
}
