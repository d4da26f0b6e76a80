import type { GraphDoc } from '@studioflow/runtime/graph';

/**
 * The two benchmark graph shapes, as graph documents (for our runtime) and as plain adjacency
 * (for the raw BullMQ side). Both sides execute exactly the same DAG.
 */
export interface BenchShape {
  name: string;
  doc: GraphDoc;
  /** node → nodes that consume its output. */
  downstream: Record<string, string[]>;
  /** node → how many nodes it waits for (fan-in > 1 means a join). */
  upstreamCount: Record<string, number>;
  roots: string[];
  sinks: string[];
}

function shapeFrom(name: string, ids: string[], edges: Array<[string, string]>): BenchShape {
  const downstream: Record<string, string[]> = {};
  const upstreamCount: Record<string, number> = {};
  for (const id of ids) {
    downstream[id] = [];
    upstreamCount[id] = 0;
  }
  for (const [s, t] of edges) {
    downstream[s].push(t);
    upstreamCount[t]++;
  }
  const doc: GraphDoc = {
    nodes: ids.map((id) => ({ id, type: upstreamCount[id] === 0 ? 'noop-source' : 'noop', params: {} })),
    edges: edges.map(([s, t], i) => ({ id: `e${i}`, source: s, sourceHandle: 'out', target: t, targetHandle: 'in' })),
  };
  return {
    name,
    doc,
    downstream,
    upstreamCount,
    roots: ids.filter((id) => upstreamCount[id] === 0),
    sinks: ids.filter((id) => downstream[id].length === 0),
  };
}

/** n0 → n1 → … → n9. */
export function chainShape(length = 10): BenchShape {
  const ids = Array.from({ length }, (_, i) => `n${i}`);
  const edges: Array<[string, string]> = [];
  for (let i = 1; i < length; i++) edges.push([ids[i - 1], ids[i]]);
  return shapeFrom(`chain-${length}`, ids, edges);
}

/** A → {B,C,D} → E → {F,G} → H → I → J: two fan-outs and two fan-in joins (E waits for 3, H for 2). */
export function diamondShape(): BenchShape {
  const ids = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'];
  const edges: Array<[string, string]> = [
    ['A', 'B'], ['A', 'C'], ['A', 'D'],
    ['B', 'E'], ['C', 'E'], ['D', 'E'],
    ['E', 'F'], ['E', 'G'],
    ['F', 'H'], ['G', 'H'],
    ['H', 'I'],
    ['I', 'J'],
  ];
  return shapeFrom('diamond-10', ids, edges);
}

/** One line per topological level, e.g. "A → {B,C,D} → E(join 3) → …". */
export function describeShape(shape: BenchShape): string {
  const level: Record<string, number> = {};
  const order = shape.doc.nodes.map((n) => n.id);
  for (const id of order) level[id] = 0;
  for (const id of order) for (const d of shape.downstream[id]) level[d] = Math.max(level[d], level[id] + 1);
  const levels: string[][] = [];
  for (const id of order) (levels[level[id]] ??= []).push(id);
  const label = (id: string) => (shape.upstreamCount[id] > 1 ? `${id}(join ${shape.upstreamCount[id]})` : id);
  const parts = levels.map((ids) => (ids.length > 1 ? `{${ids.map(label).join(',')}}` : label(ids[0])));
  const joins = order.filter((id) => shape.upstreamCount[id] > 1).length;
  return `${parts.join(' → ')}   [${order.length} nodes, ${shape.doc.edges.length} edges, ${joins} fan-in joins, depth ${levels.length}]`;
}
