import { categoryLabel } from '../lib/format';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { canConnect, isPortType, type NodeTypeDescriptor } from '@studioflow/runtime/graph';
import { useEditor } from '../store/editor';
import { useUi, type AddPopup } from '../store/ui';
import { PortDots } from './PortDots';

export function matchesQuery(d: NodeTypeDescriptor, q: string): boolean {
  if (!q) return true;
  const hay = `${d.title} ${d.type} ${d.category} ${d.description}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

function compatible(d: NodeTypeDescriptor, popup: AddPopup): boolean {
  const t = popup.portType;
  if (!popup.connect || !t || !isPortType(t)) return true;
  return popup.connect.handleType === 'source'
    ? d.inputs.some((p) => canConnect(t, p.type))
    : d.outputs.some((p) => canConnect(p.type, t));
}

export function AddNodePopup() {
  const popup = useUi((s) => s.addPopup);
  if (!popup) return null;
  return <AddNodePopupOpen popup={popup} />;
}

function AddNodePopupOpen({ popup }: { popup: AddPopup }) {
  const catalog = useEditor((s) => s.catalogList);
  const close = () => useUi.getState().setAddPopup(null);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const list = useMemo(
    () => catalog.filter((d) => compatible(d, popup) && matchesQuery(d, query)),
    [catalog, popup, query],
  );

  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) close();
    };
    window.addEventListener('mousedown', onDown);
    return () => window.removeEventListener('mousedown', onDown);
  }, []);

  const add = (d: NodeTypeDescriptor | undefined) => {
    if (!d) return;
    useEditor.getState().addNode(d.type, { x: popup.flow.x - 20, y: popup.flow.y - 20 }, popup.connect);
    close();
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') close();
    else if (e.key === 'ArrowDown') setActive((i) => Math.min(list.length - 1, i + 1));
    else if (e.key === 'ArrowUp') setActive((i) => Math.max(0, i - 1));
    else if (e.key === 'Enter') add(list[active]);
    else return;
    e.preventDefault();
  };

  const left = Math.min(popup.screen.x, window.innerWidth - 320);
  const top = Math.min(popup.screen.y, window.innerHeight - 360);
  return (
    <div className="sf-add-popup" style={{ left, top }} ref={box} data-testid="add-node-popup">
      <input
        autoFocus
        placeholder={popup.portType ? `Search nodes taking ${popup.portType}…` : 'Search nodes…'}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKey}
        data-testid="add-node-search"
      />
      <div className="sf-add-list">
        {list.length === 0 ? <div className="sf-muted sf-pad">No matching node types</div> : null}
        {list.map((d, i) => (
          <button
            key={d.type}
            className={`sf-add-item ${i === active ? 'is-active' : ''}`}
            onMouseEnter={() => setActive(i)}
            onClick={() => add(d)}
            data-testid={`add-node-item-${d.type}`}
          >
            <span className="sf-add-title">{d.title}</span>
            <span className="sf-add-cat">{categoryLabel(d.category)}</span>
            <PortDots descriptor={d} />
          </button>
        ))}
      </div>
    </div>
  );
}
