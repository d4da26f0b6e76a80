import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MaxFlow } from './max-flow';

interface Edge { i: number; j: number; forward: number; backward: number }
interface Problem { nodes: number; source: number[]; sink: number[]; edges: Edge[] }

/** Edmonds–Karp on a dense matrix: slow and obviously right, the reference for small graphs. */
function referenceMaxFlow(p: Problem): number {
  const n = p.nodes + 2, s = p.nodes, t = p.nodes + 1;
  const c = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < p.nodes; i++) {
    c[s][i] += p.source[i];
    c[i][t] += p.sink[i];
  }
  for (const e of p.edges) {
    c[e.i][e.j] += e.forward;
    c[e.j][e.i] += e.backward;
  }
  let flow = 0;
  for (;;) {
    const prev = new Array<number>(n).fill(-1);
    prev[s] = s;
    const queue = [s];
    while (queue.length && prev[t] < 0) {
      const u = queue.shift()!;
      for (let v = 0; v < n; v++) if (prev[v] < 0 && c[u][v] > 0) {
        prev[v] = u;
        queue.push(v);
      }
    }
    if (prev[t] < 0) return flow;
    let b = Infinity;
    for (let v = t; v !== s; v = prev[v]) b = Math.min(b, c[prev[v]][v]);
    for (let v = t; v !== s; v = prev[v]) {
      c[prev[v]][v] -= b;
      c[v][prev[v]] += b;
    }
    flow += b;
  }
}

/** Deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomProblem(seed: number, nodes: number, density: number): Problem {
  const r = rng(seed);
  const int = (max: number) => Math.floor(r() * (max + 1));
  const p: Problem = { nodes, source: [], sink: [], edges: [] };
  for (let i = 0; i < nodes; i++) {
    p.source.push(r() < 0.4 ? int(30) : 0);
    p.sink.push(r() < 0.4 ? int(30) : 0);
  }
  for (let i = 0; i < nodes; i++) for (let j = i + 1; j < nodes; j++) if (r() < density) p.edges.push({ i, j, forward: int(20), backward: int(20) });
  return p;
}

function solve(p: Problem): { flow: number; g: MaxFlow } {
  const g = new MaxFlow(p.nodes, 2); // a tiny hint: the arc arrays have to grow
  for (let i = 0; i < p.nodes; i++) g.addTerminal(i, p.source[i], p.sink[i]);
  for (const e of p.edges) g.addEdge(e.i, e.j, e.forward, e.backward);
  return { flow: g.solve(), g };
}

/** Capacity of the cut the solver reports: it must equal the flow (max-flow = min-cut). */
function cutCost(p: Problem, g: MaxFlow): number {
  let cost = 0;
  for (let i = 0; i < p.nodes; i++) cost += g.onSourceSide(i) ? p.sink[i] : p.source[i];
  for (const e of p.edges) {
    const si = g.onSourceSide(e.i), sj = g.onSourceSide(e.j);
    if (si && !sj) cost += e.forward;
    if (sj && !si) cost += e.backward;
  }
  return cost;
}

describe('MaxFlow (Boykov–Kolmogorov)', () => {
  it('finds the flow of a two-node chain and cuts at its weakest link', () => {
    const g = new MaxFlow(2);
    g.addTerminal(0, 10, 0);
    g.addTerminal(1, 0, 10);
    g.addEdge(0, 1, 4, 0);
    assert.equal(g.solve(), 4);
    assert.equal(g.onSourceSide(0), true);
    assert.equal(g.onSourceSide(1), false);
  });

  it('counts a node tied to both terminals once, by the smaller capacity', () => {
    const g = new MaxFlow(1);
    g.addTerminal(0, 7, 3);
    assert.equal(g.solve(), 3);
    assert.equal(g.onSourceSide(0), true);
  });

  it('agrees with Edmonds–Karp on 300 random graphs, and its cut costs exactly the flow', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const p = randomProblem(seed, 3 + (seed % 23), 0.1 + (seed % 5) * 0.1);
      const want = referenceMaxFlow(p);
      const { flow, g } = solve(p);
      assert.equal(flow, want, `seed ${seed}: flow`);
      assert.equal(cutCost(p, g), want, `seed ${seed}: cut cost`);
    }
  });

  it('solves a reset graph with new terminal capacities as a freshly built one', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const p = randomProblem(seed, 3 + (seed % 23), 0.1 + (seed % 5) * 0.1);
      const other = randomProblem(seed + 1000, p.nodes, 0.1);
      const g = new MaxFlow(p.nodes, 2);
      for (const e of p.edges) g.addEdge(e.i, e.j, e.forward, e.backward);
      g.reset();
      for (let i = 0; i < p.nodes; i++) g.addTerminal(i, p.source[i], p.sink[i]);
      assert.equal(g.solve(), referenceMaxFlow(p), `seed ${seed}: first flow`);
      g.reset();
      for (let i = 0; i < p.nodes; i++) g.addTerminal(i, other.source[i], other.sink[i]);
      const again = { ...p, source: other.source, sink: other.sink };
      const want = referenceMaxFlow(again);
      assert.equal(g.solve(), want, `seed ${seed}: flow`);
      assert.equal(cutCost(again, g), want, `seed ${seed}: cut cost`);
    }
  });

  it('solves on the buffers of a released graph as on fresh ones, smaller and larger graphs in turn', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const p = randomProblem(seed, 3 + ((seed * 7) % 23), 0.1 + (seed % 5) * 0.1);
      const { flow, g } = solve(p);
      assert.equal(flow, referenceMaxFlow(p), `seed ${seed}: flow`);
      assert.equal(cutCost(p, g), flow, `seed ${seed}: cut cost`);
      g.release();
    }
  });

  it('separates a 200×200 grid along the cheap seam between two seeded halves', () => {
    const w = 200, h = 200;
    const g = new MaxFlow(w * h);
    for (let y = 0; y < h; y++) {
      g.addTerminal(y * w, 1000, 0);
      g.addTerminal(y * w + w - 1, 0, 1000);
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        // Column 120 → 121 is the cheap seam.
        if (x + 1 < w) g.addEdge(i, i + 1, x === 120 ? 1 : 50, x === 120 ? 1 : 50);
        if (y + 1 < h) g.addEdge(i, i + w, 50, 50);
      }
    }
    assert.equal(g.solve(), h);
    for (let y = 0; y < h; y += 37) {
      assert.equal(g.onSourceSide(y * w + 120), true);
      assert.equal(g.onSourceSide(y * w + 121), false);
    }
  });
});
