import { useMemo, useState } from 'react';
import { useRun } from '../../store/run';
import { shortId } from '../../lib/format';

/**
 * Node-RED's debug sidebar: the lines the run's nodes logged (ctx.log), live while it runs and as
 * kept once it ends, filterable by node.
 */
export function DebugPanel() {
  const runId = useRun((s) => s.runId);
  const logs = useRun((s) => s.logs);
  const order = useRun((s) => s.order);
  const phase = useRun((s) => s.phase);
  const [node, setNode] = useState('');
  const nodes = useMemo(() => {
    const logged = new Set(logs.map((l) => l.nodeId));
    return [...order.filter((id) => logged.has(id)), ...[...logged].filter((id) => !order.includes(id))];
  }, [logs, order]);
  const shown = node ? logs.filter((l) => l.nodeId === node) : logs;
  return (
    <div className="sf-pad sf-debug" data-testid="debug-panel" data-count={shown.length}>
      <div className="sf-section-title">
        Node logs {runId ? <span className="sf-muted sf-small sf-mono">run {shortId(runId)}</span> : null}
      </div>
      {!runId ? <div className="sf-muted sf-small">Run the graph or open a run from its history to see what its nodes logged.</div> : null}
      {runId ? (
        <label className="sf-small">
          Node{' '}
          <select value={node} onChange={(e) => setNode(e.target.value)} data-testid="debug-node-filter">
            <option value="">all nodes</option>
            {nodes.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {runId && !shown.length ? (
        <div className="sf-muted sf-small" data-testid="debug-empty">
          {phase === 'completed' || phase === 'failed' || phase === 'cancelled' ? 'No node logged anything in this run.' : 'Nothing logged yet.'}
        </div>
      ) : null}
      <ul className="sf-debug-lines">
        {shown.map((l, i) => (
          <li key={`${l.at}-${i}`} className={`is-${l.level}`} data-testid="debug-line" data-node={l.nodeId} data-level={l.level}>
            <span className="sf-muted">{new Date(l.at).toLocaleTimeString()}</span> <span className="sf-debug-node">{l.nodeId}</span>
            {l.attempt > 1 ? <span className="sf-muted">#{l.attempt} </span> : null}
            {l.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
