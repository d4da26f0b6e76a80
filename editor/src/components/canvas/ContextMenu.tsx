import { useEffect, useRef } from 'react';
import { menuActionsFor, type MenuContext, type MenuTarget } from '../../lib/context-menu';
import './menu-actions';
import '../../subflows/menu-actions';

export interface OpenMenu {
  target: MenuTarget;
  ctx: MenuContext;
  /** Position inside the canvas element. */
  at: { x: number; y: number };
}

/** The right-click menu of a node, an edge, a note or group, or the canvas; entries come from the registry. */
export function ContextMenu({ menu, onClose }: { menu: OpenMenu; onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const away = (e: PointerEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('keydown', key);
    };
  }, [onClose]);
  const actions = menuActionsFor(menu.target);
  return (
    <div ref={ref} className="sf-menu" role="menu" style={{ left: menu.at.x, top: menu.at.y }} data-testid={`context-menu-${menu.target.kind}`} onContextMenu={(e) => e.preventDefault()}>
      {actions.length === 0 ? <div className="sf-menu-empty">Nothing to do here in this view</div> : null}
      {actions.map((a) => (
        <button
          key={a.id}
          role="menuitem"
          className="sf-menu-item"
          data-testid={`menu-${a.id}`}
          onClick={() => {
            onClose();
            void a.run(menu.target as never, menu.ctx);
          }}
        >
          {a.label}
        </button>
      ))}
    </div>
  );
}
