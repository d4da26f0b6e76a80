import { useMemo, useState } from 'react';
import { useEditor } from '../store/editor';
import { refreshVersions, showDiff, viewVersion, type DiffSide } from '../store/actions';
import { formatTime } from '../lib/format';
import { useFocusNode } from './ProblemsPanel';
import { askRollback } from './RollbackConfirm';

export function HistoryPanel() {
  const graphId = useEditor((s) => s.graph.id);
  const versions = useEditor((s) => s.graph.versions);
  const view = useEditor((s) => s.view);
  const sorted = useMemo(() => [...versions].sort((a, b) => b.version - a.version), [versions]);
  const [a, setA] = useState<string>('');
  const [b, setB] = useState<string>('draft');

  if (!graphId) {
    return (
      <div className="sf-pad sf-muted sf-small" data-testid="history-panel">
        Save the graph to start its version history.
      </div>
    );
  }
  const sideA: DiffSide | null = a === '' ? (sorted[0]?.version ?? null) : a === 'draft' ? 'draft' : Number(a);
  const sideB: DiffSide = b === 'draft' ? 'draft' : Number(b);

  return (
    <div className="sf-history" data-testid="history-panel">
      <div className="sf-pad sf-section">
        <div className="sf-section-title">
          Versions <button className="sf-link sf-small" onClick={() => void refreshVersions()}>refresh</button>
        </div>
        {sorted.length === 0 ? <div className="sf-muted sf-small">No versions yet — use Commit to create v1.</div> : null}
        <ul className="sf-versions">
          {sorted.map((v) => {
            const current = view.kind === 'version' && view.version === v.version;
            return (
              <li key={v.id} className={current ? 'is-current' : ''} data-testid={`version-${v.version}`}>
                <div className="sf-version-head">
                  <strong>v{v.version}</strong>
                  <span className="sf-muted sf-small">{formatTime(v.createdAt)}</span>
                </div>
                <div className="sf-small">{v.message || <span className="sf-muted">no message</span>}</div>
                <div className="sf-btn-row">
                  <button className="sf-btn sf-btn-small" onClick={() => void viewVersion(v.version)} data-testid={`btn-open-version-${v.version}`}>
                    Open
                  </button>
                  <button
                    className="sf-btn sf-btn-small"
                    onClick={() => askRollback(v.version)}
                    data-testid={`btn-rollback-${v.version}`}
                  >
                    Roll back
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      </div>
      <div className="sf-pad sf-section">
        <div className="sf-section-title">Compare</div>
        <div className="sf-diff-pick">
          <select value={a === '' ? String(sideA ?? '') : a} onChange={(e) => setA(e.target.value)} data-testid="diff-a">
            {sorted.map((v) => (
              <option key={v.id} value={v.version}>
                v{v.version}
              </option>
            ))}
            <option value="draft">draft</option>
          </select>
          <span>→</span>
          <select value={b} onChange={(e) => setB(e.target.value)} data-testid="diff-b">
            <option value="draft">draft</option>
            {sorted.map((v) => (
              <option key={v.id} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
          <button className="sf-btn sf-btn-small" disabled={sideA === null} onClick={() => sideA !== null && void showDiff(sideA, sideB)} data-testid="btn-diff">
            Show diff
          </button>
        </div>
        {view.kind === 'diff' ? <DiffSummary /> : null}
      </div>
    </div>
  );
}

function DiffSummary() {
  const view = useEditor((s) => s.view);
  const focus = useFocusNode();
  if (view.kind !== 'diff') return null;
  const { diff, labelA, labelB } = view;
  const empty = !diff.changes.length && !diff.edgeChanges.length && !diff.annotationChanges.length;
  return (
    <div className="sf-diff-summary" data-testid="diff-summary">
      <div className="sf-small sf-muted">
        {labelA} → {labelB}: {diff.changes.filter((c) => c.state === 'added').length} added, {diff.changes.filter((c) => c.state === 'removed').length} removed,{' '}
        {diff.changes.filter((c) => c.state === 'changed').length} changed nodes; {diff.edgeChanges.length} edge changes
        {diff.annotationChanges.length ? `; ${diff.annotationChanges.length} note/group changes` : ''}
      </div>
      {empty ? <div className="sf-small">No differences (positions are ignored).</div> : null}
      <ul>
        {diff.changes.map((c) => (
          <li key={c.nodeId} className={`diff-${c.state}`} data-testid={`diff-node-${c.nodeId}`} data-state={c.state}>
            <button className="sf-link" onClick={() => focus(c.nodeId)}>
              <span className={`sf-diff-tag diff-${c.state}`}>{c.state}</span> {c.nodeId} <span className="sf-muted">({c.type})</span>
            </button>
            {c.details.map((d) => (
              <div key={d} className="sf-small sf-mono sf-diff-detail">
                {d}
              </div>
            ))}
          </li>
        ))}
        {diff.edgeChanges.map((e) => (
          <li key={e.key} className={`diff-${e.state}`}>
            <span className={`sf-diff-tag diff-${e.state}`}>{e.state}</span> <span className="sf-small sf-mono">{e.key}</span>
          </li>
        ))}
        {diff.annotationChanges.map((c) => (
          <li key={`annotation-${c.id}`} className={`diff-${c.state}`} data-testid={`diff-annotation-${c.id}`} data-state={c.state}>
            <span className={`sf-diff-tag diff-${c.state}`}>{c.state}</span> {c.kind} <span className="sf-muted sf-mono">{c.id}</span>
            {c.details.map((d) => (
              <div key={d} className="sf-small sf-mono sf-diff-detail">
                {d}
              </div>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
