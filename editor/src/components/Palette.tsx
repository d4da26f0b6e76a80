import { categoryLabel, runsOnLabel } from '../lib/format';
import { useMemo, useState, type DragEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { NodeTypeDescriptor } from '@studioflow/runtime/graph';
import { selectReadOnly, useEditor } from '../store/editor';
import { useUi } from '../store/ui';
import { loadCatalog } from '../store/actions';
import { matchesQuery } from './AddNodePopup';
import { DRAG_MIME } from './Canvas';
import { PortDots } from './PortDots';

export function Palette() {
  const catalog = useEditor((s) => s.catalogList);
  const status = useEditor((s) => s.catalogStatus);
  const error = useEditor((s) => s.catalogError);
  const readOnly = useEditor(selectReadOnly);
  const health = useUi((s) => s.apiHealth);
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const rf = useReactFlow();

  const groups = useMemo(() => {
    const map = new Map<string, NodeTypeDescriptor[]>();
    for (const d of catalog) {
      if (!matchesQuery(d, query)) continue;
      const list = map.get(d.category) ?? [];
      list.push(d);
      map.set(d.category, list);
    }
    return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [catalog, query]);

  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(DRAG_MIME, type);
    e.dataTransfer.effectAllowed = 'copy';
  };

  /** Click (or Enter) adds the node at the centre of the visible canvas. */
  const addAtCentre = (type: string) => {
    const el = document.querySelector('.sf-canvas')?.getBoundingClientRect();
    if (!el) return;
    const n = useEditor.getState().nodes.length;
    const pos = rf.screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 });
    useEditor.getState().addNode(type, { x: pos.x - 110 + (n % 5) * 24, y: pos.y - 60 + (n % 5) * 24 });
  };

  return (
    <aside className="sf-palette" data-testid="palette">
      <div className="sf-panel-title">Nodes</div>
      <input
        className="sf-search"
        placeholder="Search node types…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      {status === 'loading' ? <div className="sf-muted sf-pad">Loading node types…</div> : null}
      {status === 'error' ? (
        <div className="sf-pad sf-error-box" data-testid="palette-error">
          <div>{health === 'unauthorized' ? 'API key rejected.' : 'Node types unavailable — API unreachable.'}</div>
          <div className="sf-muted sf-small">{error}</div>
          <button className="sf-btn sf-btn-small" onClick={() => void loadCatalog()} data-testid="btn-retry-catalog">
            Retry
          </button>
        </div>
      ) : null}
      {status === 'ok' && groups.length === 0 ? <div className="sf-muted sf-pad">No node types match “{query}”.</div> : null}
      <div className="sf-palette-list">
        {groups.map(([category, items]) => (
          <div key={category} className="sf-palette-group" data-testid={`palette-group-${category}`}>
            <button
              className="sf-palette-cat"
              onClick={() => setCollapsed((c) => ({ ...c, [category]: !c[category] }))}
              aria-expanded={!collapsed[category]}
            >
              <span>{collapsed[category] && !query ? '▸' : '▾'}</span> {categoryLabel(category)} <span className="sf-muted">{items.length}</span>
            </button>
            {collapsed[category] && !query
              ? null
              : items.map((d) => (
                  <div
                    key={d.type}
                    className={`sf-palette-item ${readOnly ? 'is-disabled' : ''}`}
                    draggable={!readOnly}
                    onDragStart={(e) => onDragStart(e, d.type)}
                    onDoubleClick={() => !readOnly && addAtCentre(d.type)}
                    onKeyDown={(e) => e.key === 'Enter' && !readOnly && addAtCentre(d.type)}
                    tabIndex={0}
                    title={`${d.description}\n\nDrag onto the canvas (or double-click / Enter to add). Runs on ${d.gate ? 'the scheduler (no worker)' : d.resource}.`}
                    data-testid={`palette-item-${d.type}`}
                  >
                    <div className="sf-palette-item-top">
                      <span className="sf-palette-item-title">{d.title}</span>
                      <span className={`sf-res sf-res-${runsOnLabel(d)}`}>{runsOnLabel(d)}</span>
                    </div>
                    <div className="sf-palette-item-bottom">
                      <span className="sf-muted sf-small">{d.type}</span>
                      <PortDots descriptor={d} />
                    </div>
                  </div>
                ))}
          </div>
        ))}
      </div>
    </aside>
  );
}
