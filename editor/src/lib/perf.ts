/**
 * Render counters for performance checks (read by the browser tests as `window.__studioflowPerf`).
 * Incrementing a number per render costs nothing measurable.
 */
export interface PerfCounters {
  nodeRenders: number;
}

const perf: PerfCounters = { nodeRenders: 0 };
(globalThis as { __studioflowPerf?: PerfCounters }).__studioflowPerf = perf;

export function countNodeRender(): void {
  perf.nodeRenders++;
}
