import { useState } from 'react';
import { useEditor } from '../store/editor';
import { createGraph } from '../store/actions';
import { useUi } from '../store/ui';
import { runCanvas, takeRunAfterSave, useRunAfterSave } from '../store/draft-run';
import { Modal } from './Modal';

/** First save of a new pipeline: POST /api/graphs with a name. */
export function SaveDialog() {
  const close = () => {
    takeRunAfterSave();
    useUi.getState().openDialog(null);
  };
  // Opened by Run canvas on a graph never saved: the canvas runs once it is saved.
  const thenRun = useRunAfterSave((s) => s.pending);
  const graph = useEditor((s) => s.graph);
  const [name, setName] = useState(graph.name === 'Untitled pipeline' ? '' : graph.name);
  const [description, setDescription] = useState(graph.description);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!name.trim()) return;
    setBusy(true);
    const ok = await createGraph(name.trim(), description.trim());
    setBusy(false);
    if (!ok) return;
    const run = takeRunAfterSave();
    close();
    if (run) void runCanvas(run.untilNodeId);
  };
  return (
    <Modal title="Save new pipeline" onClose={close} testId="save-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="sf-field">
          <label htmlFor="save-name">Name</label>
          <input id="save-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} data-testid="save-name" required />
        </div>
        <div className="sf-field">
          <label htmlFor="save-description">Description</label>
          <textarea id="save-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} data-testid="save-description" />
        </div>
        {thenRun ? (
          <p className="sf-help" data-testid="save-then-run">
            Runs are kept per pipeline: it is saved under this name first, then the canvas runs{thenRun.untilNodeId ? ` up to ${thenRun.untilNodeId}` : ''}. No commit is needed.
          </p>
        ) : null}
        <div className="sf-btn-row sf-right">
          <button type="button" className="sf-btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="sf-btn sf-btn-primary" disabled={busy || !name.trim()} data-testid="btn-save-confirm">
            {busy ? 'Saving…' : thenRun ? 'Save and run' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
