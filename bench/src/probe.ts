import { performance } from 'node:perf_hooks';

/**
 * Counts node executions on both sides and, when armed, records when each node started
 * (performance.now(), sub-millisecond) so per-step scheduling latency can be computed.
 */
export class ExecutionProbe {
  executions = 0;
  private starts: Map<string, number> | null = null;

  /** Called first thing inside every no-op node, ours and raw alike. */
  hit(runId: string, nodeId: string): void {
    this.executions++;
    if (this.starts) this.starts.set(`${runId}/${nodeId}`, performance.now());
  }

  arm(): void {
    this.starts = new Map();
  }

  disarm(): Map<string, number> {
    const s = this.starts ?? new Map<string, number>();
    this.starts = null;
    return s;
  }
}

export const probe = new ExecutionProbe();

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function sortNumbers(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}
