import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { GraphSummary } from '../api/types';
import { selectDirty, useEditor } from '../store/editor';
import { openGraph } from '../store/actions';
import { useUi } from '../store/ui';
import { formatTime } from '../lib/format';
import { publishedHint } from '../store/templates';
import { Modal } from './Modal';
import { usePublishedByGraph } from './PublishedHint';

export function GraphsDialog() {
  const close = () => useUi.getState().openDialog(null);
  const [graphs, setGraphs] = useState<GraphSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const currentId = useEditor((s) => s.graph.id);
  const published = usePublishedByGraph();

  useEffect(() => {
    api
      .listGraphs()
      .then((list) => setGraphs(Array.isArray(list) ? list : []))
      .catch((err: Error) => setError(err.message));
  }, []);

  const confirmDiscard = () => !selectDirty(useEditor.getState()) || confirm('Discard unsaved changes to the current draft?');
  const open = async (id: string) => {
    if (!confirmDiscard()) return;
    if (await openGraph(id)) close();
  };
  const startNew = () => {
    if (!confirmDiscard()) return;
    useEditor.getState().newGraph();
    history.replaceState(null, '', location.pathname + location.search);
    close();
  };
  const shown = (graphs ?? []).filter((g) => `${g.name} ${g.description ?? ''}`.toLowerCase().includes(query.toLowerCase()));

  return (
    <Modal title="Pipelines" onClose={close} testId="graphs-dialog" wide>
      <div className="sf-btn-row">
        <input className="sf-search" placeholder="Filter…" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="graphs-filter" />
        <button className="sf-btn sf-btn-primary" onClick={startNew} data-testid="btn-new-graph">
          + New pipeline
        </button>
      </div>
      {error ? (
        <div className="sf-error-box" data-testid="graphs-error">
          Could not list pipelines: {error}
        </div>
      ) : null}
      {!graphs && !error ? <div className="sf-muted">Loading…</div> : null}
      {graphs && graphs.length === 0 ? <div className="sf-muted">No pipelines yet. Build one and press Save.</div> : null}
      <ul className="sf-graph-list">
        {shown.map((g) => (
          <li key={g.id}>
            <button className={`sf-graph-item ${g.id === currentId ? 'is-current' : ''}`} onClick={() => void open(g.id)} data-testid={`graph-item-${g.id}`}>
              <span className="sf-graph-name">{g.name}</span>
              <span className="sf-muted sf-small">{g.latestVersion != null ? `v${g.latestVersion}` : 'draft only'}</span>
              {published.has(g.id) ? (
                <span className="sf-published-hint" data-testid={`graph-published-${g.id}`}>
                  {publishedHint(published.get(g.id)!, g.latestVersion)}
                </span>
              ) : null}
              <span className="sf-muted sf-small">{formatTime(g.updatedAt)}</span>
              {g.description ? <span className="sf-small sf-graph-desc">{g.description}</span> : null}
            </button>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
