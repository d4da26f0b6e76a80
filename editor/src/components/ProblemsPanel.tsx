import { useReactFlow } from '@xyflow/react';
import type { FlowNode } from '../lib/flow';
import { useEditor } from '../store/editor';
import { useUi } from '../store/ui';

export function useFocusNode() {
  const rf = useReactFlow<FlowNode>();
  return (nodeId: string) => {
    const node = rf.getNode(nodeId);
    if (!node) return;
    useEditor.getState().selectOnly([nodeId]);
    useUi.getState().setSideTab('inspector');
    const w = node.measured?.width ?? 220;
    const h = node.measured?.height ?? 120;
    void rf.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: Math.max(rf.getZoom(), 1), duration: 300 });
  };
}

export function ProblemsPanel() {
  const problems = useEditor((s) => s.problems);
  const catalogOk = useEditor((s) => s.catalogStatus === 'ok' && s.view.kind !== 'diff');
  const viewKind = useEditor((s) => s.view.kind);
  const open = useUi((s) => s.problemsOpen);
  const focus = useFocusNode();

  return (
    <section className={`sf-problems ${open ? 'is-open' : ''}`} data-testid="problems" data-count={problems.length}>
      <button className="sf-problems-head" onClick={() => useUi.getState().setProblemsOpen(!open)} data-testid="problems-toggle">
        <span>{open ? '▾' : '▸'} Problems</span>
        <span className={`sf-count ${problems.length ? 'is-bad' : catalogOk ? 'is-good' : ''}`} data-testid="problems-count">
          {catalogOk || problems.length ? problems.length : '—'}
        </span>
        {!catalogOk && viewKind !== 'diff' ? <span className="sf-muted sf-small">validation needs the node catalog (API)</span> : null}
        {viewKind === 'diff' ? <span className="sf-muted sf-small">not validated in diff view</span> : null}
      </button>
      {open ? (
        <ul className="sf-problems-list">
          {problems.length === 0 && catalogOk && viewKind !== 'diff' ? (
            <li className="sf-muted sf-small sf-ok">{viewKind === 'draft' ? '✓ No problems — this graph can be committed.' : '✓ No problems.'}</li>
          ) : null}
          {problems.map((p, i) => (
            <li key={`${p.code}-${i}`}>
              <button
                className="sf-problem"
                onClick={() => p.nodeId && focus(p.nodeId)}
                disabled={!p.nodeId}
                data-testid={`problem-${i}`}
                data-nodeid={p.nodeId}
                data-code={p.code}
              >
                <span className="sf-problem-code">{p.code}</span>
                {p.nodeId ? <span className="sf-problem-node">{p.nodeId}</span> : null}
                <span>{p.message}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
