import './subflows.css';
import { selectReadOnly, useEditor } from '../store/editor';
import { closeSubflow, makeSubflow, saveEditedSubflow } from './subflow-actions';
import { MakeSubflowDialog } from './MakeSubflowDialog';
import { useSubflows } from './subflows-store';

/** While a subflow is open on the canvas: what is being edited, save as the next version, or go back. Also hosts the "Make subflow" dialog. */
export function SubflowLayer() {
  const editing = useSubflows((s) => s.editing);
  return (
    <>
      {editing ? (
        <div className="sf-banner sf-banner-info" data-testid="subflow-banner">
          <span>
            Editing subflow <b>{editing.definition.name}</b> v{editing.definition.version}: saving makes v{editing.definition.version + 1}; instances that follow the latest use it from their graph's next commit, pinned ones offer an update.
          </span>
          <button className="sf-btn sf-btn-small sf-btn-primary" onClick={() => void saveEditedSubflow()} data-testid="btn-save-subflow">
            Save subflow as new version
          </button>
          <button
            className="sf-btn sf-btn-small"
            onClick={() => {
              if (useEditor.getState().revision === useEditor.getState().savedRevision || confirm('Discard the changes to this subflow?')) closeSubflow();
            }}
            data-testid="btn-close-subflow"
          >
            Back to pipeline
          </button>
        </div>
      ) : null}
      <MakeSubflowDialog />
    </>
  );
}

/** The toolbar's "Make subflow" (Ctrl+Shift+G): the selected nodes become one reusable node. */
export function MakeSubflowButton() {
  const readOnly = useEditor(selectReadOnly);
  const selected = useEditor((s) => s.nodes.some((n) => n.selected));
  const editing = useSubflows((s) => !!s.editing);
  return (
    <button
      className="sf-btn"
      onClick={() => makeSubflow()}
      disabled={readOnly || !selected || editing}
      data-testid="btn-make-subflow"
      title="Make the selected nodes one reusable subflow node (Ctrl+Shift+G)"
    >
      Make subflow
    </button>
  );
}
