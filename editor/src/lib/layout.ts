import dagre from '@dagrejs/dagre';
import type { FlowEdge, FlowNode } from './flow';

const DEFAULT_W = 220;
const DEFAULT_H = 140;

/** Left-to-right layered layout; returns new node objects with new positions. */
export function autoLayout(nodes: readonly FlowNode[], edges: readonly FlowEdge[], onlyIds?: ReadonlySet<string>): FlowNode[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    g.setNode(n.id, { width: n.measured?.width ?? DEFAULT_W, height: n.measured?.height ?? DEFAULT_H });
  }
  for (const e of edges) {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  }
  dagre.layout(g);
  return nodes.map((n) => {
    if (onlyIds && !onlyIds.has(n.id)) return n;
    const p = g.node(n.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (!p) return n;
    return { ...n, position: { x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2) } };
  });
}
