import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { makeProductPhoto } from '@studioflow/nodes/testing';

const run = promisify(execFile);
const root = resolve(__dirname, '../../..');
const bin = join(root, 'cli/bin/studioflow.js');

test('studioflow run turns a photo into a white studio shot without PostgreSQL or Redis', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-cli-'));
  // Large enough that the product reaches 2048 within the 2× enlargement cap.
  const photo = await makeProductPhoto({ seed: 11, width: 2600, height: 1950, kind: 'box' });
  await writeFile(join(dir, 'photo.jpg'), photo.jpeg);
  const { stdout } = await run(process.execPath, [bin, 'run', join(root, 'templates/white-studio.json'), '--input', join(dir, 'photo.jpg'), '--out', join(dir, 'out.jpg')], {
    env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' },
  });
  assert.match(stdout, /out\.jpg \(2048×2048, image\/jpeg, \d+ KiB, cost \$0\.\d{6}\)/);
  const out = await readFile(join(dir, 'out.jpg'));
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, 2048);
});

test('studioflow run reports an invalid graph with every problem and exits 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-cli-'));
  await writeFile(join(dir, 'g.json'), JSON.stringify({ nodes: [{ id: 'x', type: 'nope' }], edges: [] }));
  await writeFile(join(dir, 'p.jpg'), (await makeProductPhoto({ seed: 1, width: 200, height: 200 })).jpeg);
  const err = await run(process.execPath, [bin, 'run', join(dir, 'g.json'), '--input', join(dir, 'p.jpg'), '--out', join(dir, 'o.jpg')]).catch((e) => e);
  assert.equal(err.code, 1);
  assert.match(err.stderr, /\[x\] unknown node type "nope"/);
});

test('studioflow without arguments prints usage and exits 2', async () => {
  const err = await run(process.execPath, [bin]).catch((e) => e);
  assert.equal(err.code, 2);
  assert.match(err.stderr, /usage: studioflow run/);
});

test('studioflow run --output writes any output (the mask, the cut-out) beside the shot; repeatable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-cli-'));
  const photo = await makeProductPhoto({ seed: 12, width: 900, height: 700, kind: 'mug' });
  await writeFile(join(dir, 'photo.jpg'), photo.jpeg);
  const { stdout } = await run(
    process.execPath,
    [bin, 'run', join(root, 'templates/white-studio.json'), '--input', join(dir, 'photo.jpg'), '--output', 'segment.mask', join(dir, 'mask.png'), '--output', 'segment.cutout', join(dir, 'cutout.webp'), '--out', join(dir, 'out.jpg')],
    { cwd: dir },
  );
  assert.match(stdout, /segment\.mask → .*mask\.png \(900×700, image\/png\)/);
  assert.match(stdout, /segment\.cutout → .*cutout\.webp \(\d+×\d+, image\/webp\)/);
  const maskFile = await readFile(join(dir, 'mask.png'));
  const maskMeta = await sharp(maskFile).metadata();
  assert.deepEqual([maskMeta.width, maskMeta.height, maskMeta.channels], [900, 700, 1], 'a full-size single-channel mask');
  const mask = await sharp(maskFile).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let product = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] >= 128) product++;
  assert.ok(product > 0.03 * 900 * 700 && product < 0.6 * 900 * 700, `the mask marks the product (${product} px)`);
  const cutout = await sharp(join(dir, 'cutout.webp')).metadata();
  assert.equal(cutout.format, 'webp');
  assert.equal(cutout.hasAlpha, true, 'the cut-out keeps its transparency');
  assert.equal((await sharp(join(dir, 'out.jpg')).metadata()).format, 'jpeg', '--out still writes the shot');

  // Without a file name, the output lands in the working directory as <node>.<port>.<ext>.
  const alone = await run(process.execPath, [bin, 'run', join(root, 'templates/white-studio.json'), '--input', join(dir, 'photo.jpg'), '--output', 'segment.mask'], { cwd: dir });
  assert.match(alone.stdout, /segment\.mask\.png/);
  assert.equal((await sharp(join(dir, 'segment.mask.png')).metadata()).width, 900);
});

test('studioflow run --output names an unknown node or port clearly and runs nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-cli-'));
  await writeFile(join(dir, 'p.jpg'), (await makeProductPhoto({ seed: 1, width: 200, height: 200 })).jpeg);
  const args = (spec: string) => [bin, 'run', join(root, 'templates/white-studio.json'), '--input', join(dir, 'p.jpg'), '--output', spec];
  const node = await run(process.execPath, args('segmnt.mask')).catch((e) => e);
  assert.equal(node.code, 2);
  assert.match(node.stderr, /the graph has no node "segmnt" \(nodes: input, segment, composite, deliver\)/);
  const port = await run(process.execPath, args('segment.alpha')).catch((e) => e);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /segment node "segment" has no output "alpha" \(outputs: cutout, mask\)/);
  const shape = await run(process.execPath, args('mask')).catch((e) => e);
  assert.equal(shape.code, 2);
  assert.match(shape.stderr, /--output takes <node>\.<port>/);
});
