import { useCallback, useMemo, useRef, useState } from 'react';
import { applyNodeChanges, type Node, type NodeChange, type XYPosition } from '@xyflow/react';
import { annotationId, annotationToFlow, insideGroup, isAnnotationId, type AnnotationNode } from '../../lib/annotations';
import { useEditor } from '../../store/editor';

interface GroupDrag {
  groupId: string;
  from: XYPosition;
  nodes: Map<string, XYPosition>;
  notes: Map<string, XYPosition>;
}

/**
 * The draft's notes and groups as canvas nodes (shown only in the draft view), their moves and
 * resizes written back to the document, and a group's drag carrying the nodes and notes inside it.
 */
export function useAnnotationNodes(editable: boolean) {
  const annotations = useEditor((s) => s.annotations);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const nodes = useMemo(
    () => (editable ? annotations.map((a) => annotationToFlow(a, selected.has(a.id))) : []),
    [annotations, selected, editable],
  );
  const resizing = useRef(false);
  const groupDrag = useRef<GroupDrag | null>(null);

  const onChanges = useCallback(
    (changes: NodeChange<AnnotationNode>[]) => {
      const picked = changes.filter((c) => c.type === 'select');
      if (picked.length) {
        setSelected((prev) => {
          const next = new Set(prev);
          for (const c of picked) if (c.type === 'select') (c.selected ? next.add(annotationId(c.id)) : next.delete(annotationId(c.id)));
          return next;
        });
      }
      // Measurements of a note's box are not edits; only moves, resizes and removals are.
      const edits = changes.filter((c) => c.type === 'position' || c.type === 'remove' || (c.type === 'dimensions' && c.resizing !== undefined));
      if (!edits.length) return;
      const s = useEditor.getState();
      const startResize = edits.some((c) => c.type === 'dimensions' && c.resizing) && !resizing.current;
      if (startResize) s.pushHistory();
      resizing.current = edits.some((c) => c.type === 'dimensions' && c.resizing);
      const current = s.annotations.map((a) => annotationToFlow(a, false));
      const moved = applyNodeChanges(edits, current);
      const next = moved.map((n) => ({
        ...n.data.annotation,
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
        size: { width: Math.round(n.width ?? n.data.annotation.size.width), height: Math.round(n.height ?? n.data.annotation.size.height) },
      }));
      const finished = edits.some(
        (c) => c.type === 'remove' || (c.type === 'position' && c.dragging === false) || (c.type === 'dimensions' && c.resizing === false),
      );
      if (edits.some((c) => c.type === 'remove')) s.pushHistory();
      useEditor.setState({ annotations: next });
      if (finished) useEditor.getState().touch();
    },
    [],
  );

  const onDragStart = useCallback((node: Node) => {
    groupDrag.current = null;
    if (node.type !== 'sfgroup' || !isAnnotationId(node.id)) return;
    const s = useEditor.getState();
    const group = s.annotations.find((a) => a.id === annotationId(node.id));
    if (!group) return;
    const inside = insideGroup(group, s.nodes, s.annotations);
    groupDrag.current = {
      groupId: node.id,
      from: { ...group.position },
      nodes: new Map(s.nodes.filter((n) => inside.nodeIds.includes(n.id)).map((n) => [n.id, { ...n.position }])),
      notes: new Map(s.annotations.filter((a) => inside.annotationIds.includes(a.id)).map((a) => [a.id, { ...a.position }])),
    };
  }, []);

  const onDrag = useCallback((_e: unknown, node: Node) => {
    const drag = groupDrag.current;
    if (!drag || drag.groupId !== node.id) return;
    const dx = node.position.x - drag.from.x;
    const dy = node.position.y - drag.from.y;
    const s = useEditor.getState();
    useEditor.setState({
      nodes: s.nodes.map((n) => {
        const at = drag.nodes.get(n.id);
        return at ? { ...n, position: { x: at.x + dx, y: at.y + dy } } : n;
      }),
      annotations: s.annotations.map((a) => {
        const at = drag.notes.get(a.id);
        return at ? { ...a, position: { x: Math.round(at.x + dx), y: Math.round(at.y + dy) } } : a;
      }),
    });
  }, []);

  const onDragStop = useCallback(() => {
    if (!groupDrag.current) return;
    groupDrag.current = null;
    useEditor.getState().touch();
  }, []);

  return useMemo(() => ({ nodes, onChanges, onDragStart, onDrag, onDragStop }), [nodes, onChanges, onDragStart, onDrag, onDragStop]);
}
