interface EdgeLike {
  source: string;
  target: string;
}

/** Returns one cycle as a list of node ids, or null when the graph is acyclic. Iterative DFS. */
export function findCycle(nodeIds: readonly string[], edges: readonly EdgeLike[]): string[] | null {
  const next = adjacency(nodeIds, edges);
  const colour = new Map<string, 0 | 1 | 2>(); // 0 new, 1 on stack, 2 done
  const parent = new Map<string, string>();
  for (const start of nodeIds) {
    if (colour.get(start)) continue;
    const stack: Array<{ id: string; i: number }> = [{ id: start, i: 0 }];
    colour.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = next.get(top.id) ?? [];
      if (top.i < succ.length) {
        const n = succ[top.i++];
        const c = colour.get(n) ?? 0;
        if (c === 0) {
          colour.set(n, 1);
          parent.set(n, top.id);
          stack.push({ id: n, i: 0 });
        } else if (c === 1) {
          const cycle = [n];
          for (let cur = top.id; cur !== n; cur = parent.get(cur)!) cycle.splice(1, 0, cur);
          return cycle;
        }
      } else {
        colour.set(top.id, 2);
        stack.pop();
      }
    }
  }
  return null;
}

/** Kahn's algorithm; assumes the graph is acyclic (validated). */
export function topologicalOrder(nodeIds: readonly string[], edges: readonly EdgeLike[]): string[] {
  const next = adjacency(nodeIds, edges);
  const indegree = new Map(nodeIds.map((id) => [id, 0]));
  for (const e of edges) indegree.set(e.target, (indegree.get(e.target) ?? 0) + 1);
  const queue = nodeIds.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const n of next.get(id) ?? []) {
      const d = indegree.get(n)! - 1;
      indegree.set(n, d);
      if (d === 0) queue.push(n);
    }
  }
  return order;
}

function adjacency(nodeIds: readonly string[], edges: readonly EdgeLike[]): Map<string, string[]> {
  const next = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) next.get(e.source)?.push(e.target);
  return next;
}
