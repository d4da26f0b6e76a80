import { useState } from 'react';
import type { GraphProblem } from '@studioflow/runtime/graph';
import { useEditor } from '../store/editor';
import { commitDraft } from '../store/actions';
import { useUi } from '../store/ui';
import { Modal } from './Modal';
import { useFocusNode } from './ProblemsPanel';

export function CommitDialog() {
  const close = () => useUi.getState().openDialog(null);
  const localProblems = useEditor((s) => s.problems.length);
  const next = useEditor((s) => s.graph.versions.reduce((m, v) => Math.max(m, v.version), 0) + 1);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; problems: GraphProblem[] } | null>(null);
  const focus = useFocusNode();

  const submit = async () => {
    setBusy(true);
    setError(null);
    const res = await commitDraft(message.trim());
    setBusy(false);
    if (res.ok) close();
    else setError({ message: res.message, problems: res.problems });
  };

  return (
    <Modal title={`Commit v${next}`} onClose={close} testId="commit-dialog">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="sf-small sf-muted">Saves the draft, then freezes it as an immutable version that can be run and published.</p>
        {localProblems ? (
          <div className="sf-warn-box sf-small">The editor sees {localProblems} problem(s); the server will refuse the commit until they are fixed.</div>
        ) : null}
        <div className="sf-field">
          <label htmlFor="commit-message">Message</label>
          <input id="commit-message" autoFocus value={message} onChange={(e) => setMessage(e.target.value)} placeholder="What changed?" data-testid="commit-message" />
        </div>
        {error ? (
          <div className="sf-error-box" data-testid="commit-error">
            <div>{error.message}</div>
            {error.problems.length ? (
              <ul className="sf-small" data-testid="commit-problems">
                {error.problems.map((p, i) => (
                  <li key={i}>
                    <button
                      type="button"
                      className="sf-link"
                      onClick={() => {
                        if (!p.nodeId) return;
                        close();
                        focus(p.nodeId);
                      }}
                    >
                      <span className="sf-problem-code">{p.code}</span> {p.nodeId ? <b>{p.nodeId}</b> : null} {p.message}
                    </button>
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="sf-btn-row sf-right">
          <button type="button" className="sf-btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="sf-btn sf-btn-primary" disabled={busy} data-testid="btn-commit-confirm">
            {busy ? 'Committing…' : 'Commit'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
