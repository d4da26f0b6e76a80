import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { measureProcess, onOneCore, type ProcessMeasure } from './measure-process';

/** Always the real one: /usr/local/bin/convert on dev machines is a stand-in. */
export const CONVERT = '/usr/bin/convert';

export function imageMagickAvailable(): boolean {
  return existsSync(CONVERT);
}

/** Background removal as ImageMagick users do it: fuzz flood-fill from the top-left corner to transparent. */
const FLOOD_FILL_BACKDROP = ['-alpha', 'set', '-fuzz', '12%', '-fill', 'none', '-draw', 'color 0,0 floodfill'];

/**
 * The product mask ImageMagick's flood-fill leaves (its alpha, upright), one byte per pixel: what
 * the bench compares with segment's mask.
 */
export async function imageMagickMask(input: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { execFile } = await import('node:child_process');
  const args = ['-limit', 'thread', '1', input, '-auto-orient', ...FLOOD_FILL_BACKDROP, '-alpha', 'extract', '-depth', '8', 'gray:-'];
  const size = await new Promise<string>((resolve, reject) =>
    execFile(CONVERT, [input, '-auto-orient', '-format', '%w %h', 'info:'], (err, out) => (err ? reject(err) : resolve(out))),
  );
  const [width, height] = size.trim().split(' ').map(Number);
  const data = await new Promise<Buffer>((resolve, reject) =>
    execFile(CONVERT, args, { encoding: 'buffer', maxBuffer: 64 << 20 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  if (data.length !== width * height) throw new Error(`ImageMagick mask is ${data.length} bytes for ${width}×${height}`);
  return { data, width, height };
}

/**
 * The white-studio steps in one ImageMagick 6 command, one thread, one core: auto-orient, resize to
 * 2048, fuzz flood-fill the background from the corner to transparent, trim, resize to 85 % of the
 * canvas, soft drop shadow, centre on a white 2048² canvas, write JPEG and WebP.
 */
export function imageMagickArgs(input: string, outDir: string): string[] {
  const fit = Math.round(2048 * 0.85);
  return [
    '-limit', 'thread', '1',
    input,
    '-auto-orient',
    '-resize', '2048x2048>',
    ...FLOOD_FILL_BACKDROP,
    '-trim', '+repage',
    '-resize', `${fit}x${fit}`,
    '(', '+clone', '-background', 'black', '-shadow', '35x24+0+24', ')',
    '+swap', '-background', 'none', '-layers', 'merge', '+repage',
    '-gravity', 'center', '-background', 'white', '-extent', '2048x2048',
    '-alpha', 'remove', '-alpha', 'off',
    '(', '+clone', '-quality', '90', '-write', join(outDir, 'im.jpg'), '+delete', ')',
    '-quality', '90', join(outDir, 'im.webp'),
  ];
}

export interface ImageMagickResult extends ProcessMeasure {
  outputs: Array<{ file: string; bytes: number }>;
}

export async function runImageMagick(input: string, outDir: string): Promise<ImageMagickResult> {
  const [cmd, args] = onOneCore(CONVERT, imageMagickArgs(input, outDir));
  const m = await measureProcess(cmd, args, { ...process.env, MAGICK_THREAD_LIMIT: '1', OMP_NUM_THREADS: '1' });
  if (m.code !== 0) throw new Error(`ImageMagick failed (${m.code}): ${m.stderr.slice(0, 500)}`);
  const outputs = [];
  for (const f of ['im.jpg', 'im.webp']) outputs.push({ file: f, bytes: (await stat(join(outDir, f))).size });
  return { ...m, outputs };
}
