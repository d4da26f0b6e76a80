import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { workerProcessLaunch } from '@studioflow/runtime/config';
import type { PipelineTiming } from '../src/testing/pipeline-bench';
import { makeProductPhoto } from '../src/testing/synthetic-product';

const run = promisify(execFile);
const STRICT = process.env.STUDIOFLOW_PERF_STRICT === '1';
/** Targets from the brief; the default run allows headroom for a busy shared CI machine. */
const CPU_TARGET_MS = 600;
const RSS_TARGET_MB = 300;

interface BenchResult {
  runs: PipelineTiming[];
  maxRssMB: number;
  baseRssMB: number;
}

/** Each measurement in a fresh process launched as a worker is: cold JIT, one libvips thread, honest peak RSS. */
async function benchInChild(file: string, runs: number, warmUp: number): Promise<BenchResult> {
  const bench = require.resolve('../src/testing/pipeline-bench');
  const script = `require(${JSON.stringify(bench)}).benchProductPipeline({ file: ${JSON.stringify(file)}, runs: ${runs}, warmUp: ${warmUp} })`
    + '.then((r) => process.stdout.write(JSON.stringify(r)))';
  const worker = workerProcessLaunch();
  const { stdout } = await run(process.execPath, [...worker.execArgv, '-e', script], { env: { ...process.env, ...worker.env }, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as BenchResult;
}

const fmt = (t: PipelineTiming) =>
  `cpu ${t.totalCpuMs.toFixed(0)} ms (input ${t.cpuMs.input.toFixed(0)}, segment ${t.cpuMs.segment.toFixed(0)}, composite ${t.cpuMs.composite.toFixed(0)}, deliver ${t.cpuMs.deliver.toFixed(0)}), wall ${t.wallMs} ms`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

describe('pipeline performance: 12 MP JPEG through input-image → segment → studio-composite → deliver', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-perf-'));
    file = join(dir, 'photo-12mp.jpg');
    const photo = await makeProductPhoto({ seed: 3, width: 4000, height: 3000 });
    await writeFile(file, photo.jpeg);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('stays within the CPU and memory budget on one libvips thread', { timeout: 180_000 }, async () => {
    const cold = await benchInChild(file, 6, 0);
    const warmed = await benchInChild(file, 1, 4);
    const steady = cold.runs.slice(2);
    const warmMedian = median(steady.map((r) => r.totalCpuMs));
    const best = steady.reduce((a, b) => (a.totalCpuMs <= b.totalCpuMs ? a : b));
    console.log(
      [
        'pipeline (12 MP JPEG, sharp.concurrency(1), libvips cache off):',
        `  first run in a fresh process: ${fmt(cold.runs[0])}`,
        `  first 12 MP run after warmUpProductNodes(): ${fmt(warmed.runs[0])}`,
        `  steady state (runs 3-6): median cpu ${warmMedian.toFixed(0)} ms; best ${fmt(best)}`,
        `  peak RSS: ${cold.maxRssMB.toFixed(0)} MB over 6 runs (process base ${cold.baseRssMB.toFixed(0)} MB; RSS after run 1 ${cold.runs[0].rssMB.toFixed(0)} MB)`,
      ].join('\n'),
    );
    const cpuLimit = STRICT ? CPU_TARGET_MS : CPU_TARGET_MS * 1.5;
    const rssLimit = STRICT ? RSS_TARGET_MB : RSS_TARGET_MB * 1.5;
    assert.ok(warmMedian <= cpuLimit, `steady-state CPU ${warmMedian.toFixed(0)} ms > ${cpuLimit}`);
    assert.ok(cold.maxRssMB <= rssLimit, `peak RSS ${cold.maxRssMB.toFixed(0)} MB > ${rssLimit}`);
  });
});
