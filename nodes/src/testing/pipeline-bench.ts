import sharp from 'sharp';
import type { ArtifactRef, PortValues } from '@studioflow/runtime/contract';
import { deliverNode } from '../deliver';
import { inputImageNode } from '../input-image';
import { segmentNode } from '../segment';
import { studioCompositeNode } from '../studio-composite';
import { warmUpProductNodes } from '../warm-up';
import { NodeHarness } from './node-harness';

export interface PipelineTiming {
  /** CPU time (user + system, all threads) per node, ms. */
  cpuMs: { input: number; segment: number; composite: number; deliver: number };
  totalCpuMs: number;
  wallMs: number;
  rssMB: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs input-image → segment → studio-composite → deliver once on `jpeg`, timing each node. */
export async function timeProductPipeline(h: NodeHarness, jpeg: Buffer): Promise<PipelineTiming> {
  const upload = await h.put(jpeg, 'image/jpeg');
  const wall0 = Date.now();
  const cpu: Record<string, number> = {};
  let c = cpuNow();
  const step = async (name: string, f: () => Promise<PortValues>) => {
    const out = await f();
    const n = cpuNow();
    cpu[name] = n - c;
    c = n;
    return out;
  };
  const a = await step('input', () => h.runNode(inputImageNode, { upload }));
  const b = await step('segment', () => h.runNode(segmentNode, { image: a.image as ArtifactRef }));
  const d = await step('composite', () => h.runNode(studioCompositeNode, { cutout: b.cutout as ArtifactRef }));
  await step('deliver', () => h.runNode(deliverNode, { image: d.image as ArtifactRef }));
  const cpuMs = cpu as PipelineTiming['cpuMs'];
  return {
    cpuMs,
    totalCpuMs: cpuMs.input + cpuMs.segment + cpuMs.composite + cpuMs.deliver,
    wallMs: Date.now() - wall0,
    rssMB: process.memoryUsage().rss / 1e6,
  };
}

export interface BenchOptions {
  /** Path of the photo to run. */
  file: string;
  runs: number;
  /** Warm-up runs on small photos before the first measured run. */
  warmUp?: number;
}

/** One process, one core for libvips, no libvips cache: what a CPU worker does per job. */
export async function benchProductPipeline(opts: BenchOptions): Promise<{ runs: PipelineTiming[]; maxRssMB: number; baseRssMB: number }> {
  sharp.concurrency(1);
  sharp.cache(false);
  const { readFile } = await import('node:fs/promises');
  const jpeg = await readFile(opts.file);
  if (opts.warmUp) await warmUpProductNodes(opts.warmUp);
  const baseRssMB = process.memoryUsage().rss / 1e6;
  const h = await NodeHarness.create();
  const runs: PipelineTiming[] = [];
  try {
    for (let i = 0; i < opts.runs; i++) runs.push(await timeProductPipeline(h, jpeg));
  } finally {
    await h.close();
  }
  return { runs, maxRssMB: process.resourceUsage().maxRSS / 1024, baseRssMB };
}
