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
  const photo = await makeProductPhoto({ seed: 11, width: 1200, height: 900, kind: 'box' });
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
