import { performance } from 'node:perf_hooks';
import type { BenchShape } from './graphs';
import { percentile, probe, sortNumbers } from './probe';
import type { BenchSide } from './side';

export interface ThroughputResult {
  side: string;
  /** Rates of every repetition (exec/s), in order; `rate` is their median. */
  rates?: number[];
  shape: string;
  runs: number;
  executions: number;
  seconds: number;
  rate: number;
  failed: number;
}

/** `runs` runs of a shape started at once; node executions per second until the last one finishes. */
export async function measureThroughput(side: BenchSide, shape: BenchShape, runs: number): Promise<ThroughputResult> {
  const r = await side.runBatch(shape, runs);
  const expected = runs * shape.doc.nodes.length;
  if (r.executions !== expected) {
    console.warn(`  ! ${side.name} ${shape.name}: ${r.executions} executions, expected ${expected} (retries or duplicates)`);
  }
  return { side: side.name, shape: shape.name, runs, executions: r.executions, seconds: r.seconds, rate: r.executions / r.seconds, failed: r.failed };
}

export interface LatencyResult {
  side: string;
  runs: number;
  /** Node start → next node start, for every consecutive pair of a chain (ms). */
  steps: number[];
  /** Submission → first node starts (ms): run creation + first dispatch. */
  firsts: number[];
  /** Submission → run finished, per run (ms). */
  walls: number[];
}

/**
 * Chains run one at a time, alternating between the sides (raw, ours, raw, ours, …) so both see the
 * same machine state; the probe timestamps every node start with performance.now().
 */
export async function measureLatency(sides: BenchSide[], chain: BenchShape, runs: number): Promise<LatencyResult[]> {
  const ids = chain.doc.nodes.map((n) => n.id);
  const out: LatencyResult[] = sides.map((s) => ({ side: s.name, runs, steps: [], firsts: [], walls: [] }));
  for (let i = 0; i < runs; i++) {
    for (const [k, side] of sides.entries()) {
      probe.arm();
      const submitted = performance.now();
      const r = await side.runOne(chain);
      const starts = probe.disarm();
      const t = ids.map((id) => starts.get(`${r.runId}/${id}`));
      if (t.some((x) => x === undefined)) throw new Error(`${side.name}: run ${r.runId} did not start every node`);
      const ts = t as number[];
      out[k].firsts.push(ts[0] - submitted);
      for (let j = 1; j < ts.length; j++) out[k].steps.push(ts[j] - ts[j - 1]);
      out[k].walls.push(r.wallMs);
    }
  }
  return out;
}

export function stats(xs: number[]): { p50: number; p95: number; mean: number; max: number } {
  const s = sortNumbers(xs);
  return { p50: percentile(s, 50), p95: percentile(s, 95), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1), max: s[s.length - 1] };
}

/** Median of the repetitions (by rate); keeps the list of rates for the report. */
export function medianOf(reps: ThroughputResult[]): ThroughputResult {
  const sorted = [...reps].sort((a, b) => a.rate - b.rate);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...mid, rates: reps.map((r) => r.rate), failed: reps.reduce((n, r) => n + r.failed, 0) };
}
