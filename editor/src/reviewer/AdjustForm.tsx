import { useMemo, useState } from 'react';
import type { AdjustableNode, AdjustableParam } from '@studioflow/runtime/graph';

/** The values a param schema allows, when it is a choice (enum, or TypeBox's union of literals). */
function choices(schema: Record<string, unknown>): unknown[] | null {
  if (Array.isArray(schema.enum)) return schema.enum;
  const anyOf = schema.anyOf as Array<Record<string, unknown>> | undefined;
  if (Array.isArray(anyOf) && anyOf.length && anyOf.every((s) => 'const' in s)) return anyOf.map((s) => s.const);
  return null;
}

function isScalar(p: AdjustableParam): boolean {
  const t = p.schema.type;
  return choices(p.schema) !== null || t === 'number' || t === 'integer' || t === 'string' || t === 'boolean';
}

interface Props {
  nodes: AdjustableNode[];
  defaultNodeId: string | null;
  busy: boolean;
  problems: string[];
  onSubmit(nodeId: string, params: Record<string, unknown>, reason: string): void;
  onCancel(): void;
}

/**
 * Adjust & retry: a form built from the chosen upstream node's param schemas (labels from titles,
 * sliders for ranges, selects for choices). Only changed values are sent; the server checks them
 * against the same schema and answers 422 with the problems.
 */
export function AdjustForm({ nodes, defaultNodeId, busy, problems, onSubmit, onCancel }: Props) {
  const [nodeId, setNodeId] = useState(defaultNodeId && nodes.some((n) => n.nodeId === defaultNodeId) ? defaultNodeId : nodes[0]?.nodeId ?? '');
  const node = nodes.find((n) => n.nodeId === nodeId);
  const initial = useMemo(() => Object.fromEntries((node?.params ?? []).map((p) => [p.name, p.value])), [node]);
  const [values, setValues] = useState<Record<string, unknown>>(initial);
  const [reason, setReason] = useState('');
  const pick = (id: string) => {
    setNodeId(id);
    setValues(Object.fromEntries((nodes.find((n) => n.nodeId === id)?.params ?? []).map((p) => [p.name, p.value])));
  };
  if (!node) return <p className="rv-muted">No upstream node has params to adjust.</p>;
  const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(initial[k])));
  const set = (name: string, value: unknown) => setValues((v) => ({ ...v, [name]: value }));
  return (
    <form
      className="rv-adjust"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(nodeId, changed, reason);
      }}
    >
      <label className="rv-field">
        <span>Re-run from</span>
        <select value={nodeId} onChange={(e) => pick(e.target.value)} name="rerunFrom">
          {nodes.map((n) => (
            <option key={n.nodeId} value={n.nodeId}>
              {n.title} ({n.nodeId})
            </option>
          ))}
        </select>
      </label>
      {node.params.filter(isScalar).map((p) => (
        <ParamField key={`${nodeId}.${p.name}`} param={p} value={values[p.name]} onChange={(v) => set(p.name, v)} />
      ))}
      <label className="rv-field">
        <span>Note for the audit trail</span>
        <input type="text" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. product too large in the frame" />
      </label>
      {problems.length > 0 && (
        <ul className="rv-problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div className="rv-row">
        <button type="submit" className="rv-btn rv-btn-primary" disabled={busy}>
          Retry{Object.keys(changed).length ? ` with ${Object.keys(changed).length} change${Object.keys(changed).length > 1 ? 's' : ''}` : ''}
        </button>
        <button type="button" className="rv-btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const HEX = /^#[0-9a-f]{6}$/i;

function ParamField({ param, value, onChange }: { param: AdjustableParam; value: unknown; onChange(v: unknown): void }) {
  const s = param.schema;
  const help = typeof s.description === 'string' ? s.description : undefined;
  const options = choices(s);
  let control;
  if (options) {
    control = (
      <select value={JSON.stringify(value)} onChange={(e) => onChange(JSON.parse(e.target.value))}>
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (s.type === 'boolean') {
    control = <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  } else if (s.type === 'number' || s.type === 'integer') {
    const min = typeof s.minimum === 'number' ? s.minimum : undefined;
    const max = typeof s.maximum === 'number' ? s.maximum : undefined;
    const step = s.type === 'integer' ? 1 : min !== undefined && max !== undefined ? (max - min) / 100 : 'any';
    const num = typeof value === 'number' ? value : Number(value ?? 0);
    const parse = (text: string) => (s.type === 'integer' ? parseInt(text, 10) : parseFloat(text));
    control =
      min !== undefined && max !== undefined && max - min <= 1000 ? (
        <span className="rv-slider">
          <input type="range" min={min} max={max} step={step} value={num} onChange={(e) => onChange(parse(e.target.value))} aria-label={param.title} />
          <output>{Number.isInteger(num) ? num : num.toFixed(2)}</output>
        </span>
      ) : (
        <input type="number" min={min} max={max} step={step} value={Number.isFinite(num) ? num : ''} onChange={(e) => onChange(parse(e.target.value))} />
      );
  } else if (typeof s.default === 'string' && HEX.test(s.default)) {
    control = (
      <span className="rv-color">
        <input type="color" value={typeof value === 'string' && HEX.test(value) ? value.toLowerCase() : '#000000'} onChange={(e) => onChange(e.target.value)} aria-label={`${param.title} picker`} />
        <input type="text" value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />
      </span>
    );
  } else {
    control = <input type="text" value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <label className="rv-field" title={help}>
      <span>{param.title}</span>
      {control}
      {help && <small>{help}</small>}
    </label>
  );
}
