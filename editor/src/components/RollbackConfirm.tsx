import { create } from 'zustand';
import { rollback } from '../store/actions';
import { selectDirty, useEditor } from '../store/editor';
import { Modal } from './Modal';

/** The version a rollback was asked for, until confirmed or cancelled. */
const useRollbackAsk = create<{ version: number | null }>(() => ({ version: null }));

/** Asks before rolling back (History panel, version banner): a rollback replaces the draft. */
export function askRollback(version: number): void {
  useRollbackAsk.setState({ version });
}

/** The in-app confirm of a rollback; it names the unsaved changes a rollback would discard. */
export function RollbackConfirm() {
  const version = useRollbackAsk((s) => s.version);
  const dirty = useEditor(selectDirty);
  const next = useEditor((s) => s.graph.versions.reduce((m, v) => Math.max(m, v.version), 0) + 1);
  if (version == null) return null;
  const close = () => useRollbackAsk.setState({ version: null });
  const confirm = () => {
    close();
    void rollback(version);
  };
  return (
    <Modal title={`Roll back to v${version}`} onClose={close} testId="rollback-confirm">
      <p className="sf-confirm-text">
        Replace the draft with v{version} and commit it as v{next}? History stays: every version is kept.
      </p>
      {dirty ? (
        <div className="sf-confirm-warning" data-testid="rollback-unsaved-warning">
          The draft has unsaved changes. Rolling back discards them; Save or Commit first to keep them.
        </div>
      ) : null}
      <div className="sf-btn-row sf-right">
        <button type="button" className="sf-btn" onClick={close} data-testid="btn-rollback-cancel">
          Cancel
        </button>
        <button type="button" className={`sf-btn ${dirty ? 'sf-btn-danger' : 'sf-btn-primary'}`} onClick={confirm} autoFocus data-testid="btn-rollback-confirm">
          {dirty ? 'Discard unsaved changes and roll back' : `Roll back to v${version}`}
        </button>
      </div>
    </Modal>
  );
}
