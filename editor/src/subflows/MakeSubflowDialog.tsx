import { useState } from 'react';
import { Modal } from '../components/Modal';
import { cancelMakeSubflow, saveMadeSubflow } from './subflow-actions';
import { useSubflows, type ParamChoice } from './subflows-store';

const choiceKey = (c: ParamChoice) => `${c.node}.${c.param}`;

/** "Make subflow": the ports found from the cut edges, a name, and which inner params instances may set. */
export function MakeSubflowDialog() {
  const making = useSubflows((s) => s.making);
  const [name, setName] = useState('');
  const [exposed, setExposed] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!making) return null;
  const { cut, choices } = making;
  const submit = async () => {
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    const failed = await saveMadeSubflow(name.trim(), choices.filter((c) => exposed[choiceKey(c)]));
    setBusy(false);
    if (failed) setError(failed);
    else {
      setName('');
      setExposed({});
    }
  };
  return (
    <Modal title="Make subflow" onClose={cancelMakeSubflow} testId="make-subflow-dialog" wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="sf-field">
          <label htmlFor="subflow-name">Name</label>
          <input id="subflow-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} data-testid="subflow-name" required />
        </div>
        <div className="sf-subflow-ports" data-testid="subflow-ports">
          <div>
            <b>Inputs</b> {cut.inputs.length ? null : <span className="sf-muted">none</span>}
            {cut.inputs.map((p) => (
              <div key={p.name} className="sf-small" data-testid={`subflow-port-in-${p.name}`}>
                {p.name} <span className="sf-muted">({p.type}) → {p.targets.map((t) => `${t.node}.${t.port}`).join(', ')}</span>
              </div>
            ))}
          </div>
          <div>
            <b>Outputs</b> {cut.outputs.length ? null : <span className="sf-muted">none</span>}
            {cut.outputs.map((p) => (
              <div key={p.name} className="sf-small" data-testid={`subflow-port-out-${p.name}`}>
                {p.name} <span className="sf-muted">({p.type}) ← {p.source.node}.{p.source.port}</span>
              </div>
            ))}
          </div>
        </div>
        <div className="sf-field">
          <label>Params instances may set</label>
          <div className="sf-subflow-params">
            {choices.map((c) => (
              <label key={choiceKey(c)} className="sf-small sf-subflow-param">
                <input
                  type="checkbox"
                  checked={!!exposed[choiceKey(c)]}
                  onChange={(e) => setExposed((x) => ({ ...x, [choiceKey(c)]: e.target.checked }))}
                  data-testid={`expose-${c.node}-${c.param}`}
                />{' '}
                {c.node} · {c.title}
              </label>
            ))}
          </div>
        </div>
        {error ? (
          <div className="sf-error-box sf-pad sf-small" data-testid="make-subflow-error">
            {error}
          </div>
        ) : null}
        <div className="sf-btn-row sf-right">
          <button type="button" className="sf-btn" onClick={cancelMakeSubflow}>
            Cancel
          </button>
          <button type="submit" className="sf-btn sf-btn-primary" disabled={busy || !name.trim()} data-testid="btn-make-subflow-confirm">
            {busy ? 'Saving…' : 'Make subflow'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
