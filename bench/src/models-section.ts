import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { inputImageNode, installedPresets, modelDir, segmentNode } from '@studioflow/nodes';
import { makeProductPhoto, maskIoU, NodeHarness } from '@studioflow/nodes/testing';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { GpuRuntime } from '@studioflow/gpu-runtime';
import { fmt, table } from './table';

/** A photo with its reference mask (255 = product), full size. */
export interface ModelBenchPhoto {
  name: string;
  jpeg: Buffer;
  mask: Uint8Array;
  source: 'real' | 'generated';
}

export interface ModelPhotoResult {
  photo: string;
  source: ModelBenchPhoto['source'];
  iou: number | null;
  nodeMs: number;
  inferenceMs: number | null;
  error?: string;
}

export interface ModelBenchResult {
  model: string;
  bytes: number;
  /** First job on a fresh slot: the session load plus one image. */
  coldMs: number;
  loadMs: number;
  photos: ModelPhotoResult[];
}

export interface ModelsSectionResult {
  dir: string;
  skipped?: string;
  /** The built-in matte on the same photos: the baseline the models' time is a ratio of. */
  classical: ModelPhotoResult[];
  models: ModelBenchResult[];
}

/**
 * Each installed model through the segment node on one CPU slot of the GPU runtime (its warm model
 * pool, as the GPU worker host runs it): the cold first job, then every photo warm. Photos: the
 * real-photo set with reference masks when the repo has one (bench/real-photo-set: <name>.jpg +
 * <name>.mask.png), plus generated product photos with known masks.
 */
export async function runModelsSection(o: { root: string; generated: number }): Promise<ModelsSectionResult> {
  const dir = modelDir();
  const installed = installedPresets(dir);
  if (installed.length === 0) {
    return { dir, classical: [], models: [], skipped: `no model installed in ${dir} (npx studioflow models install isnet-medium --accept-licence agpl-3.0; STUDIOFLOW_MODEL_DIR picks the folder)` };
  }
  const photos = [...(await realPhotos(join(o.root, 'bench/real-photo-set'))), ...(await generatedPhotos(o.generated))];
  const log = { info: () => undefined, warn: (msg: string) => console.log(`  warning: ${msg}`), error: (msg: string) => console.log(`  error: ${msg}`) };
  const out: ModelsSectionResult = { dir, classical: [], models: [] };

  const plain = await NodeHarness.create();
  try {
    const images = await prepare(plain, photos);
    await segmentOnce(plain, images[0], photos[0], { method: 'classical', trustCheck: 'off' }); // warm the pixel path
    for (const [i, photo] of photos.entries()) out.classical.push(await segmentOnce(plain, images[i], photo, { method: 'classical', trustCheck: 'off' }));
  } finally {
    await plain.close();
  }

  for (const preset of installed) {
    const gpu = new GpuRuntime({ devices: ['cpu'], budgetBytes: 4 * 2 ** 30, models: [], log });
    const pool = gpu.slots.pools[0];
    const h = await NodeHarness.create({ models: pool });
    try {
      const images = await prepare(h, photos);
      const params = { method: 'onnx', model: preset.id };
      const t0 = performance.now();
      await segmentOnce(h, images[0], photos[0], params);
      const coldMs = performance.now() - t0;
      const result: ModelBenchResult = { model: preset.id, bytes: preset.installed.bytes, coldMs, loadMs: pool.status().coldStarts[0]?.loadMs ?? NaN, photos: [] };
      for (const [i, photo] of photos.entries()) result.photos.push(await segmentOnce(h, images[i], photo, params));
      out.models.push(result);
    } finally {
      await h.close();
      await gpu.close();
    }
  }
  return out;
}

async function prepare(h: NodeHarness, photos: ModelBenchPhoto[]): Promise<ArtifactRef[]> {
  const refs: ArtifactRef[] = [];
  for (const p of photos) refs.push((await h.runNode(inputImageNode, { upload: await h.put(p.jpeg, 'image/jpeg') })).image as ArtifactRef);
  return refs;
}

async function segmentOnce(h: NodeHarness, image: ArtifactRef, photo: ModelBenchPhoto, params: Record<string, unknown>): Promise<ModelPhotoResult> {
  const t0 = performance.now();
  try {
    const out = await h.runNode(segmentNode, { image }, params as never);
    const nodeMs = performance.now() - t0;
    const mask = out.mask as ArtifactRef;
    const { data, info } = await sharp(await h.get(mask)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const reference = info.width * info.height === photo.mask.length ? photo.mask : null;
    const inferenceMs = (out.cutout as ArtifactRef).meta?.inferenceMs;
    return { photo: photo.name, source: photo.source, iou: reference ? maskIoU(data, reference) : null, nodeMs, inferenceMs: typeof inferenceMs === 'number' ? inferenceMs : null };
  } catch (err) {
    return { photo: photo.name, source: photo.source, iou: 0, nodeMs: performance.now() - t0, inferenceMs: null, error: (err as Error).message.slice(0, 90) };
  }
}

async function realPhotos(folder: string): Promise<ModelBenchPhoto[]> {
  if (!existsSync(folder)) return [];
  const out: ModelBenchPhoto[] = [];
  for (const name of readdirSync(folder).filter((n) => /\.jpe?g$/i.test(n)).sort()) {
    const base = name.replace(/\.jpe?g$/i, '');
    const maskPath = join(folder, `${base}.mask.png`);
    if (!existsSync(maskPath)) continue;
    const jpeg = await sharp(join(folder, name)).rotate().jpeg({ quality: 95 }).toBuffer();
    const { width, height } = await sharp(jpeg).metadata();
    const mask = await sharp(maskPath).extractChannel(0).resize(width, height, { fit: 'fill' }).threshold(128).raw().toBuffer();
    out.push({ name: base, jpeg, mask: new Uint8Array(mask.buffer, mask.byteOffset, mask.length), source: 'real' });
  }
  return out;
}

async function generatedPhotos(n: number): Promise<ModelBenchPhoto[]> {
  const kinds = ['bottle', 'mug', 'shoe', 'box'] as const;
  const out: ModelBenchPhoto[] = [];
  for (let i = 0; i < n; i++) {
    const photo = await makeProductPhoto({ seed: 7100 + i, width: 1600, height: 1200, kind: kinds[i % kinds.length] });
    out.push({ name: `generated-${photo.kind}-${i}`, jpeg: photo.jpeg, mask: photo.mask, source: 'generated' });
  }
  return out;
}

export function printModels(r: ModelsSectionResult, summary: string[]): void {
  if (r.skipped) {
    console.log(`  skipped: ${r.skipped}`);
    summary.push(`models: skipped, ${r.skipped}`);
    return;
  }
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : NaN);
  const meanIou = (rows: ModelPhotoResult[]) => {
    const xs = rows.map((p) => p.iou).filter((x): x is number => x !== null);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  };
  const names = r.classical.map((p) => p.photo);
  const header = ['photo', 'built-in IoU', 'ms', ...r.models.flatMap((m) => [`${m.model} IoU`, 'ms', 'inference ms'])];
  const rows: Array<Array<string | number>> = [header];
  for (const [i, name] of names.entries()) {
    const c = r.classical[i];
    rows.push([
      `${name}${r.classical[i].source === 'real' ? ' (real)' : ''}`,
      c.error ? 'failed' : fmtIou(c.iou), Math.round(c.nodeMs),
      ...r.models.flatMap((m) => { const p = m.photos[i]; return [p.error ? 'failed' : fmtIou(p.iou), Math.round(p.nodeMs), p.inferenceMs ?? '-']; }),
    ]);
  }
  console.log(table(rows));
  const failures = (rows: ModelPhotoResult[]) => rows.filter((p) => p.error).map((p) => `${p.photo}: ${p.error}`);
  for (const line of failures(r.classical)) console.log(`  built-in failed on ${line}`);
  const baseMs = median(r.classical.map((p) => p.nodeMs));
  for (const m of r.models) {
    for (const line of failures(m.photos)) console.log(`  ${m.model} failed on ${line}`);
    const warm = median(m.photos.map((p) => p.nodeMs));
    const inference = median(m.photos.map((p) => p.inferenceMs).filter((x): x is number => x !== null));
    const real = m.photos.filter((p) => p.source === 'real');
    const line = `${m.model} (${fmt(m.bytes / 2 ** 20, 0)} MiB) on a CPU slot: cold first image ${fmt(m.coldMs / 1000, 2)} s (session load ${fmt(m.loadMs / 1000, 2)} s), `
      + `warm ${fmt(warm, 0)} ms per image (inference ${fmt(inference, 0)} ms) = ${fmt(warm / baseMs, 1)}× the built-in matte (${fmt(baseMs, 0)} ms); `
      + `mean IoU ${fmtIou(meanIou(m.photos))} vs built-in ${fmtIou(meanIou(r.classical))}`
      + (real.length ? `; real photos ${fmtIou(meanIou(real))} vs ${fmtIou(meanIou(r.classical.filter((p) => p.source === 'real')))} (≥ 0.9 on ${real.filter((p) => (p.iou ?? 0) >= 0.9).length}/${real.length})` : '');
    console.log(`  ${line}`);
    summary.push(`models: ${line}`);
  }
  console.log(`  models dir: ${r.dir}`);
}

function fmtIou(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(3);
}
