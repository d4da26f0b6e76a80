import { useEditor } from '../store/editor';
import { loadCatalog } from '../store/actions';
import { useUi } from '../store/ui';
import { askRollback } from './RollbackConfirm';

export function ApiBanner() {
  const health = useUi((s) => s.apiHealth);
  const catalogStatus = useEditor((s) => s.catalogStatus);
  if (health === 'ok' || (health === 'unknown' && catalogStatus !== 'error')) return null;
  const text =
    health === 'unauthorized'
      ? 'API key rejected — set a valid key (top right). The canvas still works offline.'
      : 'API unreachable — node types, saving and runs are unavailable. Retrying every 10 s; you can keep editing and Export JSON.';
  return (
    <div className="sf-banner sf-banner-error" data-testid="api-status" data-state={health === 'unknown' ? 'unreachable' : health}>
      <span>{text}</span>
      <button className="sf-btn sf-btn-small" onClick={() => void loadCatalog()} data-testid="btn-retry-api">
        Retry now
      </button>
    </div>
  );
}

export function ViewBanner() {
  const view = useEditor((s) => s.view);
  if (view.kind === 'draft') return null;
  const exit = () => useEditor.getState().exitView();
  if (view.kind === 'version') {
    return (
      <div className="sf-banner sf-banner-info" data-testid="view-banner" data-view="version">
        <span>
          Viewing <b>v{view.version}</b> (read-only){view.message ? ` — “${view.message}”` : ''}
        </span>
        <button
          className="sf-btn sf-btn-small"
          onClick={() => askRollback(view.version)}
          data-testid="btn-rollback-current"
        >
          Roll back to this version
        </button>
        <button className="sf-btn sf-btn-small sf-btn-primary" onClick={exit} data-testid="btn-exit-view">
          Back to draft
        </button>
      </div>
    );
  }
  return (
    <div className="sf-banner sf-banner-info" data-testid="view-banner" data-view="diff">
      <span>
        Diff <b>{view.labelA}</b> → <b>{view.labelB}</b>: <i className="sf-legend diff-added">added</i> <i className="sf-legend diff-changed">changed</i>{' '}
        <i className="sf-legend diff-removed">removed</i>
      </span>
      <button className="sf-btn sf-btn-small sf-btn-primary" onClick={exit} data-testid="btn-exit-view">
        Back to draft
      </button>
    </div>
  );
}

export function Toasts() {
  const toasts = useUi((s) => s.toasts);
  return (
    <div className="sf-toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`sf-toast sf-toast-${t.kind}`} data-testid="toast" data-kind={t.kind} onClick={() => useUi.getState().dismiss(t.id)}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
