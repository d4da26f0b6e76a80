import { useRef, useState } from 'react';
import { getApiKey, setApiKey } from '../api/client';
import { selectDirty, selectReadOnly, useEditor } from '../store/editor';
import { exportJson, importJson, loadCatalog, saveDraft } from '../store/actions';
import { useUi } from '../store/ui';
import { MakeSubflowButton } from '../subflows/SubflowBanner';
import { PublishedHint } from './PublishedHint';

export function TopBar() {
  const graph = useEditor((s) => s.graph);
  const dirty = useEditor(selectDirty);
  const readOnly = useEditor(selectReadOnly);
  const canUndo = useEditor((s) => s.past.length > 0);
  const canRedo = useEditor((s) => s.future.length > 0);
  const snap = useEditor((s) => s.snapToGrid);
  const busy = useUi((s) => s.busy);
  const openDialog = useUi((s) => s.openDialog);
  const fileInput = useRef<HTMLInputElement>(null);
  const latest = graph.versions.reduce((m, v) => Math.max(m, v.version), 0);

  return (
    <header className="sf-topbar">
      <div className="sf-brand">Studioflow</div>
      <button className="sf-graph-title" onClick={() => openDialog('graphs')} title="Open another pipeline" data-testid="btn-graphs">
        <span data-testid="graph-name">{graph.name}</span>
        <span className="sf-muted sf-small">{graph.id ? (latest ? `v${latest}` : 'no versions') : 'not saved'}</span>
        <span className="sf-caret">▾</span>
      </button>
      <PublishedHint />
      <span className={`sf-save-state ${dirty ? 'is-dirty' : ''}`} data-testid="save-state" data-dirty={dirty}>
        {busy ?? (dirty ? '● Unsaved changes' : graph.id ? 'Saved' : '')}
      </span>
      <div className="sf-toolbar">
        <button className="sf-btn" onClick={() => void saveDraft()} disabled={!!busy} data-testid="btn-save" title="Save draft (Ctrl+S)">
          Save
        </button>
        <button className="sf-btn" onClick={() => openDialog(graph.id ? 'commit' : 'save')} disabled={!!busy} data-testid="btn-commit" title="Commit a version (Ctrl+Enter)">
          Commit
        </button>
        <button className="sf-btn" onClick={() => openDialog('publish')} data-testid="btn-publish" title="Publish a version as a template">
          Publish
        </button>
        <span className="sf-sep" />
        <button className="sf-icon-btn" onClick={() => useEditor.getState().undo()} disabled={!canUndo || readOnly} data-testid="btn-undo" title="Undo (Ctrl+Z)">
          ↶
        </button>
        <button className="sf-icon-btn" onClick={() => useEditor.getState().redo()} disabled={!canRedo || readOnly} data-testid="btn-redo" title="Redo (Ctrl+Shift+Z)">
          ↷
        </button>
        <MakeSubflowButton />
        <button className="sf-btn" onClick={() => useEditor.getState().layout()} disabled={readOnly} data-testid="btn-layout" title="Auto-layout (Shift+L)">
          Auto-layout
        </button>
        <label className="sf-check" title="Snap nodes to a 16px grid">
          <input type="checkbox" checked={snap} onChange={(e) => useEditor.getState().setSnap(e.target.checked)} data-testid="toggle-snap" /> snap
        </label>
        <span className="sf-sep" />
        <button className="sf-btn" onClick={() => fileInput.current?.click()} data-testid="btn-import" title="Import a graph JSON file as the draft">
          Import
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importJson(f);
            e.target.value = '';
          }}
          data-testid="import-file-input"
        />
        <button className="sf-btn" onClick={exportJson} data-testid="btn-export" title="Download the graph as JSON">
          Export
        </button>
        <span className="sf-sep" />
        <ApiKeyField />
        <button className="sf-icon-btn" onClick={() => openDialog('shortcuts')} data-testid="btn-shortcuts" title="Keyboard shortcuts (?)">
          ?
        </button>
      </div>
    </header>
  );
}

function ApiKeyField() {
  const [value, setValue] = useState(getApiKey());
  const [show, setShow] = useState(false);
  const apply = () => {
    if (value.trim() === getApiKey()) return;
    setApiKey(value.trim());
    void loadCatalog();
  };
  return (
    <form
      className="sf-apikey"
      title="API key sent as Authorization: Bearer …"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <span className="sf-muted sf-small">key</span>
      <input
        type={show ? 'text' : 'password'}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={apply}
        data-testid="api-key-input"
        aria-label="API key"
        autoComplete="current-password"
        spellCheck={false}
      />
      <button type="button" className="sf-link sf-small" onClick={() => setShow((s) => !s)}>
        {show ? 'hide' : 'show'}
      </button>
    </form>
  );
}
