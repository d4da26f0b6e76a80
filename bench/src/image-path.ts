import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodesLib from '@studioflow/nodes';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { workerProcessLaunch } from '@studioflow/runtime/config';
import type { ImageChildResult } from './image-child';
import { imageMagickAvailable, runImageMagick, type ImageMagickResult } from './imagemagick';
import { measureProcess, onOneCore, type ProcessMeasure } from './measure-process';

export type OursImageResult = (ImageChildResult & { process?: ProcessMeasure }) | { skipped: string };

export interface ImagePathResult {
  photo: { width: number; height: number; bytes: number };
  /** Per template name (white-studio, marketplace-studio), in the order given: a fresh process's first jobs. */
  ours: Record<string, OursImageResult>;
  /** The same, in a process that first warmed up as a worker does at start (warmUpProductNodes). */
  oursWorker: Record<string, OursImageResult>;
  im: ImageMagickResult | { skipped: string };
}

export function nodesBuilt(): boolean {
  return typeof (nodesLib as Record<string, unknown>).createProductCatalog === 'function';
}

/**
 * One 12 MP product photo through each template's graph (one fresh child process per template, one
 * core) and through ImageMagick.
 */
export async function runImagePath(templates: Array<{ name: string; path: string }>, childScript: string): Promise<ImagePathResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sfbench-image-'));
  try {
    const photo = await makeProductPhoto({ seed: 7, width: 4000, height: 3000 });
    const photoPath = join(dir, 'photo.jpg');
    await writeFile(photoPath, photo.jpeg);
    const result: ImagePathResult = {
      photo: { width: photo.width, height: photo.height, bytes: photo.jpeg.length },
      ours: Object.fromEntries(templates.map((t) => [t.name, { skipped: 'nodes not built' }])),
      oursWorker: Object.fromEntries(templates.map((t) => [t.name, { skipped: 'nodes not built' }])),
      im: { skipped: 'ImageMagick not installed (/usr/bin/convert missing)' },
    };

    if (nodesBuilt()) {
      for (const warmUp of [false, true]) {
        for (const t of templates) {
          // Launched as npm start launches a worker (Node flags, malloc arenas).
          const tuning = workerProcessLaunch();
          const [cmd, args] = onOneCore(process.execPath, [...tuning.execArgv, childScript, photoPath, t.path, join(dir, `artifacts-${t.name}-${warmUp ? 'w' : 'f'}`)]);
          const m = await measureProcess(cmd, args, { ...process.env, ...tuning.env, VIPS_CONCURRENCY: '1', BENCH_WARM_UP: warmUp ? '1' : '0' });
          const line = m.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
          const child: ImageChildResult = line ? JSON.parse(line.slice('BENCH_RESULT '.length)) : { error: `no result (exit ${m.code}): ${m.stderr.slice(0, 800)}` };
          (warmUp ? result.oursWorker : result.ours)[t.name] = { ...child, process: m };
        }
      }
    }

    if (imageMagickAvailable()) {
      const out = join(dir, 'im');
      await import('node:fs/promises').then((fs) => fs.mkdir(out));
      // Median of three by CPU: one run of a 2 s process is noisy on a shared 2-core machine.
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await runImageMagick(photoPath, out));
      result.im = runs.sort((a, b) => a.cpuS - b.cpuS)[1];
    }
    return result;
  } finally {
    if (!process.env.BENCH_KEEP_IMAGES) await rm(dir, { recursive: true, force: true });
    else console.log(`  (kept ${dir})`);
  }
}
