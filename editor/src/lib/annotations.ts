import type { GraphAnnotation } from '@studioflow/runtime/graph';
import type { Node, XYPosition } from '@xyflow/react';
import type { FlowNode } from './flow';

/** Annotation ids on the canvas carry this prefix: ':' never occurs in a node id, so they cannot clash. */
export const ANNOTATION_PREFIX = 'ann:';
export const NOTE_COLOURS = ['#fde68a', '#bbf7d0', '#bfdbfe', '#fbcfe8', '#e5e7eb'];
export const GROUP_COLOURS = ['#3b82f6', '#22c55e', '#f59e0b', '#a855f7', '#64748b'];

export type AnnotationData = { annotation: GraphAnnotation };
/** Not React Flow's own 'group' type, whose default styles would apply. */
export type AnnotationNode = Node<AnnotationData, 'sfnote' | 'sfgroup'>;

export const isAnnotationId = (id: string) => id.startsWith(ANNOTATION_PREFIX);
export const annotationId = (flowId: string) => flowId.slice(ANNOTATION_PREFIX.length);

export function newAnnotation(kind: GraphAnnotation['kind'], at: XYPosition, existing: readonly GraphAnnotation[]): GraphAnnotation {
  const taken = new Set(existing.map((a) => a.id));
  let n = 1;
  while (taken.has(`${kind}-${n}`)) n++;
  return kind === 'note'
    ? { id: `${kind}-${n}`, kind, title: 'Note', text: '', color: NOTE_COLOURS[0], position: { x: Math.round(at.x), y: Math.round(at.y) }, size: { width: 220, height: 140 } }
    : { id: `${kind}-${n}`, kind, title: 'Group', color: GROUP_COLOURS[0], position: { x: Math.round(at.x), y: Math.round(at.y) }, size: { width: 560, height: 360 } };
}

/** Groups behind everything, notes above groups but behind pipeline nodes' edges' handles. */
export function annotationToFlow(a: GraphAnnotation, selected: boolean): AnnotationNode {
  return {
    id: `${ANNOTATION_PREFIX}${a.id}`,
    type: a.kind === 'note' ? 'sfnote' : 'sfgroup',
    position: a.position,
    width: a.size.width,
    height: a.size.height,
    selected,
    zIndex: a.kind === 'group' ? -2 : -1,
    dragHandle: '.sf-ann-drag',
    data: { annotation: a },
  };
}

/** The pipeline nodes and notes whose centre lies inside a group's frame: they move with it. */
export function insideGroup(group: GraphAnnotation, nodes: readonly FlowNode[], annotations: readonly GraphAnnotation[]) {
  const within = (x: number, y: number) =>
    x >= group.position.x && x <= group.position.x + group.size.width && y >= group.position.y && y <= group.position.y + group.size.height;
  return {
    nodeIds: nodes
      .filter((n) => within(n.position.x + (n.measured?.width ?? 210) / 2, n.position.y + (n.measured?.height ?? 80) / 2))
      .map((n) => n.id),
    annotationIds: annotations
      .filter((a) => a.kind === 'note' && within(a.position.x + a.size.width / 2, a.position.y + a.size.height / 2))
      .map((a) => a.id),
  };
}
