/**
 * Child process for the image section: runs one template's graph (white-studio, marketplace-studio)
 * on one 12 MP JPEG with runGraphLocally, sharp on one thread, and prints one `BENCH_RESULT <json>` line. A separate
 * process so peak RSS is this work's alone (plus Node itself, which a worker pays too).
 *
 *   node bench/dist/src/image-child.js <photo.jpg> <template.json> <artifactDir>
 *
 * BENCH_IMAGE_JOBS (default 5) jobs run one after another: the 1st and the median of the others are reported.
 * BENCH_WARM_UP=1 first does what a worker process does at start (warmUpProductNodes on small
 * photos), so the measured runs are the first jobs of a started worker.
 */
import { readFile } from 'node:fs/promises';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import sharp from 'sharp';
import * as nodesLib from '@studioflow/nodes';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { isArtifactRef, type ArtifactRef, type NodeCatalog, type PortValues } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally } from '@studioflow/runtime/local';

export interface ImageChildResult {
  skipped?: string;
  error?: string;
  cpuS?: number;
  wallS?: number;
  peakRssMb?: number;
  /** Steady state: the median of the later jobs in the same process (BENCH_IMAGE_JOBS, default 5). */
  warmWallS?: number;
  warmCpuS?: number;
  /** Per node of the cold run: wall ms (node.started → node.completed) and process CPU ms in that span. */
  nodeMs?: Record<string, number>;
  nodeCpuMs?: Record<string, number>;
  /** The same per node for the warm run. */
  warmNodeMs?: Record<string, number>;
  warmNodeCpuMs?: Record<string, number>;
  /** Garbage-collector pauses per node, ms (1st job and the steady one). */
  nodeGcMs?: Record<string, number>;
  warmNodeGcMs?: Record<string, number>;
  outputs?: Array<{ node: string; port: string; mime: string; width?: number; height?: number; bytes: number }>;
}

/** Jobs per process: the 1st, then the median of the rest is the steady state. */
const JOBS = Math.max(2, Number(process.env.BENCH_IMAGE_JOBS ?? 5));

function emit(r: ImageChildResult): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(r)}\n`);
}

function refsOf(outputs: Record<string, PortValues>): NonNullable<ImageChildResult['outputs']> {
  const out: NonNullable<ImageChildResult['outputs']> = [];
  for (const [node, ports] of Object.entries(outputs)) {
    for (const [port, v] of Object.entries(ports)) {
      const list = Array.isArray(v) ? v : [v];
      for (const x of list) if (isArtifactRef(x)) out.push({ node, port, mime: x.mime, width: x.width, height: x.height, bytes: x.bytes });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const [photoPath, templatePath, artifactDir] = process.argv.slice(2);
  const createProductCatalog = (nodesLib as Record<string, unknown>).createProductCatalog as ((...a: unknown[]) => NodeCatalog) | undefined;
  if (typeof createProductCatalog !== 'function') return emit({ skipped: 'nodes not built' });
  sharp.concurrency(1);
  sharp.cache(false);
  const catalog = createProductCatalog();
  const graph = (JSON.parse(await readFile(templatePath, 'utf8')) as { graph: GraphDoc }).graph;
  const inputNode = graph.nodes.find((n) => n.type === 'input-image');
  if (!inputNode) return emit({ error: 'template has no input-image node' });
  const artifacts = new LocalArtifactStore(artifactDir);
  // The upload is already in the artifact store when a run starts: not part of the measurement.
  const upload: ArtifactRef = await artifacts.put(await readFile(photoPath), { mime: 'image/jpeg' });

  // concurrency 1: nodes run one after another, so the process CPU between a node's start and
  // completion events is that node's (libvips runs on this one thread pool of size 1).
  const cpuMsNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // GC pauses on the main thread (with --single-threaded-gc, all of the collector's work).
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  }).observe({ entryTypes: ['gc'] });
  const once = async () => {
    const nodeMs: Record<string, number> = {};
    const nodeCpuMs: Record<string, number> = {};
    const nodeGcMs: Record<string, number> = {};
    const startedAt = new Map<string, [number, number, number]>();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await runGraphLocally(graph, {
      catalog,
      artifacts,
      seeds: { upload },
      concurrency: 1,
      onEvent: (e) => {
        if (e.type === 'node.started') startedAt.set(e.nodeId, [performance.now(), cpuMsNow(), gcMs]);
        if (e.type === 'node.completed') {
          const [w, c, g] = startedAt.get(e.nodeId) ?? [NaN, NaN, NaN];
          nodeMs[e.nodeId] = performance.now() - w;
          nodeCpuMs[e.nodeId] = cpuMsNow() - c;
          nodeGcMs[e.nodeId] = gcMs - g;
        }
      },
    });
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (result.error) throw new Error(result.error);
    return { wallS, cpuS: (cpu.user + cpu.system) / 1e6, nodeMs, nodeCpuMs, nodeGcMs, outputs: refsOf(result.outputs) };
  };

  if (process.env.BENCH_WARM_UP === '1') {
    const warmUp = (nodesLib as Record<string, unknown>).warmUpProductNodes as () => Promise<void>;
    await warmUp();
  }
  const cold = await once();
  // Later jobs vary by ±5 % on a shared machine: report the median one (by its nodes' CPU).
  const later = [];
  for (let i = 1; i < JOBS; i++) later.push(await once());
  const total = (r: { nodeCpuMs: Record<string, number> }) => Object.values(r.nodeCpuMs).reduce((a, b) => a + b, 0);
  const warm = later.sort((a, b) => total(a) - total(b))[(later.length - 1) >> 1] ?? cold;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  emit({
    cpuS: cold.cpuS,
    wallS: cold.wallS,
    peakRssMb,
    warmWallS: warm.wallS,
    warmCpuS: warm.cpuS,
    nodeMs: cold.nodeMs,
    nodeCpuMs: cold.nodeCpuMs,
    warmNodeMs: warm.nodeMs,
    warmNodeCpuMs: warm.nodeCpuMs,
    nodeGcMs: cold.nodeGcMs,
    warmNodeGcMs: warm.nodeGcMs,
    outputs: cold.outputs,
  });
}

main().catch((err) => {
  emit({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exitCode = 1;
});
