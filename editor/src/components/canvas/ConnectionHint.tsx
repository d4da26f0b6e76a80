import { useConnection, useStore } from '@xyflow/react';
import { refusalReason } from '../../lib/connection-hint';
import { selectReadOnly, useEditor } from '../../store/editor';

export interface DroppedRefusal {
  text: string;
  /** Position inside the canvas element. */
  x: number;
  y: number;
}

/**
 * While a connection is dragged over a handle that refuses it, says why next to the pointer; after
 * such a drop, the same words stay for a moment (`dropped`).
 */
export function ConnectionHint({ dropped }: { dropped: DroppedRefusal | null }) {
  const live = useConnection((c) => {
    if (!c.inProgress || c.isValid !== false || !c.toHandle || !c.fromHandle) return null;
    const s = useEditor.getState();
    const text = refusalReason(c.fromHandle, c.toHandle, s.nodes, s.catalog, selectReadOnly(s));
    return text ? { text, x: c.pointer.x, y: c.pointer.y } : null;
  });
  const canvasWidth = useStore((s) => s.width);
  const shown = live ?? dropped;
  if (!shown) return null;
  // On the right half the hint opens leftwards, so the canvas edge never cuts it off.
  const leftwards = shown.x > canvasWidth / 2;
  const style = leftwards ? { right: canvasWidth - shown.x + 14, top: shown.y + 14 } : { left: shown.x + 14, top: shown.y + 14 };
  return (
    <div className="sf-conn-hint" role="tooltip" style={style} data-testid="connection-refused">
      ✕ {shown.text}
    </div>
  );
}
