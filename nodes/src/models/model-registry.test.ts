import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { modelFingerprint, resolveModel, type InstalledPreset } from './model-registry';
import { tinySegmentationModel } from '../testing/tiny-onnx-model';

const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL', 'STUDIOFLOW_MODEL_CATALOG', 'STUDIOFLOW_MODEL_LICENCE_POLICY'];
const HALF = { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('model registry: licences follow the file, auto follows the licence policy', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let dir: string;
  /** A copyleft model the catalog knows by hash, and a file nobody knows. */
  const copyleft = tinySegmentationModel({ size: 64, k: -1, b: 0, sigmoid: true });
  const unknown = tinySegmentationModel({ size: 64, k: -2, b: 0, sigmoid: true });
  let copyleftPath: string;
  let unknownPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-registry-'));
    copyleftPath = join(dir, 'copyleft.onnx');
    unknownPath = join(dir, 'unknown.onnx');
    await writeFile(copyleftPath, copyleft);
    await writeFile(unknownPath, unknown);
    await writeFile(join(dir, 'catalog.json'), JSON.stringify({
      models: [{
        id: 'copyleft-matte', title: 'Copyleft matte', bytes: copyleft.length, sha256: sha(copyleft),
        licence: { id: 'agpl-3.0', name: 'AGPL-3.0', commercialUse: false, url: 'https://www.gnu.org/licenses/agpl-3.0.html', notice: '' },
        source: { npm: 'x', version: '1.0.0', resources: 'r', resource: '/m', chunkDir: 'd' },
        preset: { file: 'copyleft.onnx', inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, ...HALF, output: 'probability', normalise: 'none' },
      }],
    }));
  });
  beforeEach(() => {
    for (const k of ENV) delete process.env[k];
    process.env.STUDIOFLOW_MODEL_DIR = join(dir, 'empty'); // no installed models unless a test says so
    process.env.STUDIOFLOW_MODEL_CATALOG = join(dir, 'catalog.json');
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await rm(dir, { recursive: true, force: true });
  });

  it('a preset pointed at a known file carries that file\'s licence, whatever the preset or the operator says', () => {
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: copyleftPath } });
    const model = resolveModel('birefnet')!;
    assert.equal(model.licence.source, 'catalog');
    assert.equal(model.licence.catalogId, 'copyleft-matte');
    assert.match(model.preset.licence, /^AGPL-3\.0/);
    assert.doesNotMatch(model.preset.licence, /MIT/);
    assert.equal(model.preset.commercialUse, false);

    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: copyleftPath, licence: 'MIT', commercialUse: true } });
    assert.equal(resolveModel('birefnet')!.preset.commercialUse, false, 'a stated licence does not override a known file');
  });

  it('an unknown file is unverified and not for commercial use, unless the operator states its licence', () => {
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: unknownPath } });
    const model = resolveModel('birefnet')!;
    assert.equal(model.licence.source, 'unverified');
    assert.equal(model.preset.commercialUse, false);
    assert.match(model.preset.licence, /^unverified: the file is not a known model \(the preset says "MIT \(BiRefNet\)/);
    assert.equal(resolveModel('auto'), null, 'auto under the commercial policy does not take an unverified file');

    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: unknownPath, licence: 'MIT (our own export, checked by legal)', commercialUse: true } });
    const stated = resolveModel('auto')!;
    assert.equal(stated.preset.id, 'birefnet');
    assert.equal(stated.licence.source, 'operator');
    assert.equal(stated.preset.licence, 'MIT (our own export, checked by legal)');
  });

  it('hashes a file once per path, size and mtime', async () => {
    const path = join(dir, 'cached.onnx');
    await writeFile(path, copyleft);
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000); // whole seconds: set again exactly below
    await utimes(path, mtime, mtime);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: path } });
    assert.equal(resolveModel('birefnet')!.licence.source, 'catalog');
    // Same size, same mtime, other bytes: the cached hash stands (it was not read again).
    await writeFile(path, unknown);
    await utimes(path, mtime, mtime);
    assert.equal(resolveModel('birefnet')!.licence.sha256, sha(copyleft));
    // A new mtime: read again.
    const later = new Date(mtime.getTime() + 5000);
    await utimes(path, later, later);
    const again = resolveModel('birefnet')!;
    assert.equal(again.licence.sha256, sha(unknown));
    assert.equal(again.licence.source, 'unverified');
  });

  it('the cache key follows the file\'s content', async () => {
    const path = join(dir, 'keyed.onnx');
    await writeFile(path, copyleft);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file: path } });
    const before = modelFingerprint(resolveModel('birefnet')!);
    await writeFile(path, unknown);
    const later = new Date(Date.now() + 10_000);
    await utimes(path, later, later);
    assert.notEqual(modelFingerprint(resolveModel('birefnet')!), before);
  });

  it('auto takes the best-ranked installed model the licence policy allows', async () => {
    const models = join(dir, 'installed');
    process.env.STUDIOFLOW_MODEL_DIR = models;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(models, { recursive: true });
    await writeFile(join(models, 'copyleft.onnx'), copyleft);
    const info = await stat(join(models, 'copyleft.onnx'));
    const installed: InstalledPreset = {
      id: 'copyleft-matte', file: 'copyleft.onnx', inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, mean: [0.5, 0.5, 0.5], std: [1, 1, 1],
      output: 'probability', normalise: 'none', licence: 'AGPL-3.0', commercialUse: false, rank: 60,
      installed: { catalogId: 'copyleft-matte', sha256: sha(copyleft), bytes: info.size, mtimeMs: info.mtimeMs, installedAt: new Date().toISOString(), source: 'test' },
    };
    await writeFile(join(models, 'copyleft-matte.preset.json'), JSON.stringify(installed));

    assert.equal(resolveModel('auto'), null, 'commercial policy (default): the copyleft model is not picked');
    assert.equal(resolveModel('copyleft-matte')?.preset.id, 'copyleft-matte', 'named by id it runs');
    process.env.STUDIOFLOW_MODEL_LICENCE_POLICY = 'any';
    assert.equal(resolveModel('auto')?.preset.id, 'copyleft-matte');

    // A lower-ranked commercial model beside it: each policy takes its best.
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ 'own-matte': { file: unknownPath, inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, ...HALF, output: 'probability', normalise: 'none', licence: 'ours', commercialUse: true, rank: 10 } });
    assert.equal(resolveModel('auto')?.preset.id, 'copyleft-matte', 'any: the higher rank');
    process.env.STUDIOFLOW_MODEL_LICENCE_POLICY = 'commercial';
    assert.equal(resolveModel('auto')?.preset.id, 'own-matte', 'commercial: the best commercial one');

    process.env.STUDIOFLOW_DEFAULT_MODEL = 'copyleft-matte';
    assert.throws(() => resolveModel('auto'), /STUDIOFLOW_DEFAULT_MODEL is "copyleft-matte", whose licence \(AGPL-3\.0.*\) is not cleared for commercial use/);
    process.env.STUDIOFLOW_MODEL_LICENCE_POLICY = 'anything';
    assert.throws(() => resolveModel('auto'), /STUDIOFLOW_MODEL_LICENCE_POLICY must be "commercial" or "any"/);
  });
});
