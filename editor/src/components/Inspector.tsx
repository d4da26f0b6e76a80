import { useEffect, useMemo, useState } from 'react';
import { checkParams, type NodeTypeDescriptor } from '@studioflow/runtime/graph';
import { errorsFor } from '../lib/params';
import type { FlowNodeData } from '../lib/flow';
import { selectReadOnly, selectSelectedId, useEditor } from '../store/editor';
import { ParamField } from './ParamField';
import { NodeRunDetails } from './NodeRunDetails';
import { useRun } from '../store/run';
import { RanWithNote, RunToHereButton } from './RunFromInspector';

export function Inspector() {
  const selectedId = useEditor(selectSelectedId);
  const selectedCount = useEditor((s) => s.nodes.reduce((n, x) => n + (x.selected ? 1 : 0), 0));
  // Select the data object, not the node: dragging replaces the node but keeps its data.
  const data = useEditor((s) => (selectedId ? s.nodes.find((n) => n.id === selectedId)?.data : undefined));
  const descriptor = useEditor((s) => (data ? s.catalog[data.type] : undefined));

  if (!selectedId || !data) {
    return (
      <div className="sf-inspector sf-pad" data-testid="inspector">
        {selectedCount > 1 ? (
          <>
            <div className="sf-h3">{selectedCount} nodes selected</div>
            <div className="sf-btn-row">
              <button className="sf-btn" onClick={() => useEditor.getState().layout()} data-testid="btn-layout-selection">
                Auto-layout selection
              </button>
              <button className="sf-btn sf-btn-danger" onClick={() => useEditor.getState().deleteSelected()} data-testid="btn-delete-selection">
                Delete
              </button>
            </div>
          </>
        ) : (
          <GraphSummary />
        )}
      </div>
    );
  }
  return <NodeInspector key={selectedId} id={selectedId} data={data} descriptor={descriptor} />;
}

function GraphSummary() {
  const graph = useEditor((s) => s.graph);
  const counts = useEditor((s) => `${s.nodes.length} nodes · ${s.edges.length} edges`);
  return (
    <>
      <div className="sf-h3">{graph.name}</div>
      <div className="sf-muted sf-small">{counts}</div>
      {graph.description ? <p className="sf-small">{graph.description}</p> : null}
      <p className="sf-muted sf-small">Select a node to edit its parameters. Its run outputs appear here after a run.</p>
    </>
  );
}

function NodeInspector({ id, data, descriptor }: { id: string; data: FlowNodeData; descriptor: NodeTypeDescriptor | undefined }) {
  const ranWithAll = useRun((s) => s.ranWith);
  // A past run from the history shows the params it ran with, read-only; otherwise the draft's.
  const ranWith = ranWithAll?.[id];
  const readOnly = useEditor(selectReadOnly) || !!ranWith;
  const params = ranWith ?? data.params;
  const check = useMemo(() => (descriptor && !ranWith ? checkParams(descriptor, params) : null), [descriptor, params, ranWith]);
  const errors = check && !check.ok ? check.errors : [];
  const properties = descriptor?.params.properties ?? {};
  const required = new Set(descriptor?.params.required ?? []);
  const names = Object.keys(properties);
  const stray = errors.filter((e) => !names.some((n) => errorsFor(n, [e]).length));

  return (
    <div className="sf-inspector" data-testid="inspector" data-nodeid={id}>
      <div className="sf-pad sf-inspector-head">
        <div className="sf-h3">{descriptor?.title ?? data.type}</div>
        <div className="sf-muted sf-small">
          {data.type}
          {descriptor ? ` v${descriptor.version} · ${descriptor.category} · ${descriptor.resource}${descriptor.cacheable ? '' : ' · not cached'}` : ' · unknown type'}
        </div>
        {descriptor?.description ? <p className="sf-small">{descriptor.description}</p> : null}
        <RunToHereButton nodeId={id} />
      </div>
      <div className="sf-pad sf-section">
        <NodeIdField id={id} disabled={readOnly} />
        <div className="sf-field">
          <label htmlFor="inspector-label">Label</label>
          <input
            id="inspector-label"
            data-testid="inspector-label"
            value={data.label ?? ''}
            placeholder={descriptor?.title ?? ''}
            disabled={readOnly}
            onChange={(e) => useEditor.getState().setLabel(id, e.target.value)}
          />
        </div>
      </div>
      <div className="sf-pad sf-section" data-testid="inspector-params">
        <div className="sf-section-title">Parameters</div>
        {ranWithAll ? <RanWithNote inRun={!!ranWith} /> : null}
        {names.length === 0 ? <div className="sf-muted sf-small">This node has no parameters.</div> : null}
        {names.map((name) => (
          <ParamField
            key={name}
            name={name}
            schema={properties[name]}
            value={params[name]}
            required={required.has(name)}
            errors={errorsFor(name, errors)}
            disabled={readOnly}
            onChange={(v) => useEditor.getState().setParam(id, name, v)}
          />
        ))}
        {stray.map((e) => (
          <div key={e} className="sf-field-error" data-testid="param-error-other">
            {e}
          </div>
        ))}
      </div>
      <NodeRunDetails nodeId={id} />
    </div>
  );
}

function NodeIdField({ id, disabled }: { id: string; disabled: boolean }) {
  const [text, setText] = useState(id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(id), [id]);
  const apply = () => {
    const err = useEditor.getState().renameNode(id, text.trim());
    setError(err);
    if (err) return;
  };
  return (
    <div className={`sf-field ${error ? 'has-error' : ''}`}>
      <label htmlFor="inspector-node-id">Node id</label>
      <input
        id="inspector-node-id"
        data-testid="inspector-node-id"
        className="sf-mono"
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
          if (e.key === 'Escape') {
            setText(id);
            setError(null);
          }
        }}
      />
      {error ? <div className="sf-field-error">{error}</div> : null}
    </div>
  );
}
