import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodesLib from '@studioflow/nodes';
import type { ImageChildResult } from './image-child';
import { imageMagickAvailable, runImageMagick, type ImageMagickResult } from './imagemagick';
import { measureProcess, onOneCore, type ProcessMeasure } from './measure-process';

export type OursImageResult = (ImageChildResult & { process?: ProcessMeasure }) | { skipped: string };

export interface ImagePathResult {
  photo: { width: number; height: number; bytes: number };
  /** Per template name (white-studio, marketplace-studio), in the order given. */
  ours: Record<string, OursImageResult>;
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
    const photo = await nodesLib.makeProductPhoto({ seed: 7, width: 4000, height: 3000 });
    const photoPath = join(dir, 'photo.jpg');
    await writeFile(photoPath, photo.jpeg);
    const result: ImagePathResult = {
      photo: { width: photo.width, height: photo.height, bytes: photo.jpeg.length },
      ours: Object.fromEntries(templates.map((t) => [t.name, { skipped: 'nodes not built' }])),
      im: { skipped: 'ImageMagick not installed (/usr/bin/convert missing)' },
    };

    if (nodesBuilt()) {
      for (const t of templates) {
        const [cmd, args] = onOneCore(process.execPath, [childScript, photoPath, t.path, join(dir, `artifacts-${t.name}`)]);
        const m = await measureProcess(cmd, args, { ...process.env, VIPS_CONCURRENCY: '1' });
        const line = m.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
        const child: ImageChildResult = line ? JSON.parse(line.slice('BENCH_RESULT '.length)) : { error: `no result (exit ${m.code}): ${m.stderr.slice(0, 800)}` };
        result.ours[t.name] = { ...child, process: m };
      }
    }

    if (imageMagickAvailable()) {
      const out = join(dir, 'im');
      await import('node:fs/promises').then((fs) => fs.mkdir(out));
      result.im = await runImageMagick(photoPath, out);
    }
    return result;
  } finally {
    if (!process.env.BENCH_KEEP_IMAGES) await rm(dir, { recursive: true, force: true });
    else console.log(`  (kept ${dir})`);
  }
}
