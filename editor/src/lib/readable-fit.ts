import type { ReactFlowInstance } from '@xyflow/react';
import type { FlowEdge, FlowNode } from './flow';

/**
 * Below this zoom a 12 px port label renders under 9.6 px: a fit stops here and pans to the
 * graph's start (or the selected node) instead of shrinking the text further.
 */
export const READABLE_ZOOM = 0.8;
/** Below this zoom nodes draw only their title and coloured port dots (level of detail). */
export const COMPACT_ZOOM = 0.55;
export const FIT_VIEW = { maxZoom: 1.1, padding: 0.2 };
const EDGE_MARGIN = 48;

/**
 * Fits the whole graph when it fits at a readable zoom; otherwise shows it at READABLE_ZOOM with the
 * selected node centred, or the graph's start (its source nodes, left edge) in view.
 */
export async function fitReadable(rf: ReactFlowInstance<FlowNode, FlowEdge>, viewport: { width: number; height: number }): Promise<void> {
  const nodes = rf.getNodes().filter((n) => n.type === 'sf');
  if (!nodes.length || !viewport.width || !viewport.height) {
    await rf.fitView(FIT_VIEW);
    return;
  }
  const bounds = rf.getNodesBounds(nodes);
  const pad = 1 + 2 * FIT_VIEW.padding;
  const fitZoom = Math.min(viewport.width / (bounds.width * pad), viewport.height / (bounds.height * pad), FIT_VIEW.maxZoom);
  if (fitZoom >= READABLE_ZOOM) {
    await rf.fitView(FIT_VIEW);
    return;
  }
  const zoom = READABLE_ZOOM;
  const selected = nodes.find((n) => n.selected);
  if (selected) {
    const b = rf.getNodesBounds([selected]);
    await rf.setCenter(b.x + b.width / 2, b.y + b.height / 2, { zoom });
    return;
  }
  const targets = new Set(rf.getEdges().map((e) => e.target));
  const starts = nodes.filter((n) => !targets.has(n.id));
  const s = rf.getNodesBounds(starts.length ? starts : nodes);
  // The start's left edge near the left of the canvas, its column centred vertically (clamped to the graph).
  const x = EDGE_MARGIN - bounds.x * zoom;
  const centreY = Math.min(Math.max(s.y + s.height / 2, bounds.y + viewport.height / zoom / 2 - EDGE_MARGIN / zoom), bounds.y + bounds.height);
  const y = viewport.height / 2 - centreY * zoom;
  await rf.setViewport({ x, y, zoom });
}
