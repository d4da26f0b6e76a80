import type { GraphDoc } from '@studioflow/runtime/graph';
import { flowToDoc, type FlowEdge, type FlowNode } from './flow';

const KEY = 'studioflow.clipboard';
let memory: GraphDoc | null = null;
let pasteCount = 0;

/** Copies the selected nodes and the edges between them. Returns how many nodes were copied. */
export function copySelection(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): number {
  const chosen = nodes.filter((n) => n.selected);
  if (!chosen.length) return 0;
  const ids = new Set(chosen.map((n) => n.id));
  memory = flowToDoc(chosen, edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
  pasteCount = 0;
  try {
    localStorage.setItem(KEY, JSON.stringify(memory));
  } catch {
    /* ignore */
  }
  return chosen.length;
}

/** The copied fragment and an offset that grows with each paste, so pastes do not stack. */
export function clipboardFragment(): { doc: GraphDoc; offset: { x: number; y: number } } | null {
  let doc = memory;
  if (!doc) {
    try {
      const raw = localStorage.getItem(KEY);
      doc = raw ? (JSON.parse(raw) as GraphDoc) : null;
    } catch {
      doc = null;
    }
  }
  if (!doc?.nodes?.length) return null;
  pasteCount++;
  return { doc, offset: { x: 40 * pasteCount, y: 40 * pasteCount } };
}
