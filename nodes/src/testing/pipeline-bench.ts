import sharp from 'sharp';
import type { ArtifactRef, PortValues } from '@studioflow/runtime/contract';
import { colourCorrectNode } from '../colour-correct';
import { deliverNode } from '../deliver';
import { marketplaceComplianceNode } from '../marketplace-compliance';
import { productFidelityNode } from '../product-fidelity';
import { inputImageNode } from '../input-image';
import { segmentNode } from '../segment';
import { studioCompositeNode } from '../studio-composite';
import { NodeHarness } from './node-harness';
import { makeProductPhoto } from './synthetic-product';

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

const FULL_SIZE_WARM_UPS = 4;

/**
 * Runs the product nodes a few times on small synthetic photos so V8 has optimised the pixel loops
 * before the first real job (the first run of a fresh process is ~1.7x slower). For worker start-up (~4 s).
 * Covers both shipped chains: white-studio and marketplace-studio (colour-correct, compliance).
 */
export async function warmUpProductNodes(runs = 4): Promise<void> {
  const h = await NodeHarness.create();
  try {
    for (let i = 0; i < runs + FULL_SIZE_WARM_UPS; i++) {
      const photo = await makeProductPhoto({ seed: 100 + i, width: 640, height: 480 });
      // The last runs at the working size, one per product kind, so the pixel loops have seen real
      // trip counts and every branch (the first 12 MP job is then ~25 % faster, near steady state);
      // upscaled, because generating a large photo costs memory.
      const jpeg = i < runs ? photo.jpeg : await sharp(photo.jpeg).resize(2048, 1536).jpeg({ quality: 90 }).toBuffer();
      const a = await h.runNode(inputImageNode, { upload: await h.put(jpeg, 'image/jpeg') });
      const b = await h.runNode(segmentNode, { image: a.image as ArtifactRef });
      const c = await h.runNode(studioCompositeNode, { cutout: b.cutout as ArtifactRef });
      const d = await h.runNode(colourCorrectNode, { image: c.image as ArtifactRef, original: b.cutout as ArtifactRef, mask: c.mask as ArtifactRef });
      const e = await h.runNode(marketplaceComplianceNode, { image: d.image as ArtifactRef, mask: c.mask as ArtifactRef }, { autoFix: true });
      await h.runNode(deliverNode, { image: e.image as ArtifactRef });
      await h.runNode(productFidelityNode, { original: b.cutout as ArtifactRef, candidate: e.image as ArtifactRef, candidateMask: e.mask as ArtifactRef });
    }
  } finally {
    await h.close();
  }
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
