import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef, ModelAccess } from '@studioflow/runtime/contract';
import { inputImageNode, placeCutout, productFidelityNode, segmentNode, uniformPlacement } from '@studioflow/nodes';
import { darkProductScene, NodeHarness, thresholdAt, tinySegmentationModel } from '@studioflow/nodes/testing';
import { ModelPool } from '../src/model-pool';
import { segmentationBackend } from '../src/segmentation-models';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];
type Score = { score: number; pass: boolean; failing: string[]; candidateMaskSource: string; reason?: string };

/**
 * product-fidelity on a candidate with neither mask nor placement (a scene, not a studio backdrop):
 * with a segmentation model configured it is placed on the GPU runtime and finds the product with the
 * model (the tiny test model separates a dark product from a light backdrop); without one it matches
 * the original, and refuses when the original is not there.
 */
describe('product-fidelity with an ONNX matte on a GPU runtime slot', () => {
  let h: NodeHarness;
  let pool: ModelPool;
  const models: ModelAccess = { acquire: (id) => pool.acquire(id) };
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let original: ArtifactRef, unchanged: ArtifactRef, relabelled: ArtifactRef;

  /** The cut-out pasted onto light checks (not a plain backdrop), recording no placement. */
  const onChecks = async (cutPng: Buffer): Promise<ArtifactRef> => {
    const W = 900, H = 700;
    const data = Buffer.alloc(W * H * 3);
    for (let y = 0, o = 0; y < H; y++) for (let x = 0; x < W; x++, o += 3) data.fill((Math.floor(x / 48) + Math.floor(y / 48)) % 2 ? 236 : 204, o, o + 3);
    const { data: rgba, info } = await sharp(cutPng).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const cut = { data: rgba, width: info.width, height: info.height, channels: 4 as const };
    await placeCutout({ data, width: W, height: H, channels: 3 }, cut, uniformPlacement(cut.width, cut.height, 0.55 * W - 0.45 * cut.width, 0.1 * H, 0.9));
    return h.put(await sharp(data, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer(), 'image/png');
  };
  const fidelity = async (candidate: ArtifactRef) => (await h.runNode(productFidelityNode, { original, candidate })).score as unknown as Score;

  before(async () => {
    for (const k of ENV) delete process.env[k];
    h = await NodeHarness.create({ models });
    pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [segmentationBackend()], log: { info: () => {}, warn: () => {}, error: () => {} } });
    const scene = await darkProductScene(4, 800, 600);
    const image = (await h.runNode(inputImageNode, { upload: await h.put(scene.jpeg, 'image/jpeg') })).image as ArtifactRef;
    original = (await h.runNode(segmentNode, { image }, { method: 'classical' })).cutout as ArtifactRef;
    const cutPng = await h.get(original);
    unchanged = await onChecks(cutPng);
    // A changed label the model still sees as product (dark red over the grey stripe and the body).
    const { width = 0, height = 0 } = await sharp(cutPng).metadata();
    const patch = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="${0.3 * width}" y="${0.4 * height}" width="${0.4 * width}" height="${0.25 * height}" fill="#7a1414"/></svg>`;
    relabelled = await onChecks(await sharp(cutPng).composite([{ input: Buffer.from(patch), blend: 'atop' }]).png().toBuffer());
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await pool.close();
    await h.close();
  });

  it('without a model configured it stays on CPU workers and finds the product by matching the original, or refuses an image without it', async () => {
    assert.equal(productFidelityNode.placement?.({ threshold: 0.5, model: 'auto' }).resource, 'cpu');
    const out = await fidelity(unchanged);
    assert.equal(out.candidateMaskSource, 'match');
    assert.ok(out.pass, `score ${out.score} (${out.failing})`);
    const empty = await onChecks(await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer());
    const notFound = await fidelity(empty);
    assert.equal(notFound.pass, false);
    assert.deepEqual(notFound.failing, ['located']);
    assert.match(String(notFound.reason), /not found in it.*candidateMask.*meta\.placement.*STUDIOFLOW_MODEL_DIR/s);
  });

  it('with a model configured it is placed for the model, finds the product with it, passes the unchanged product and fails a changed label', async () => {
    const file = join(h.store.dir, 'tiny256.onnx');
    const { k, b } = thresholdAt(150, 0.12, IMAGENET.mean, IMAGENET.std);
    await writeFile(file, tinySegmentationModel({ size: 256, k, b, sigmoid: true }));
    process.env.STUDIOFLOW_MODELS = JSON.stringify({
      'tiny-256': { file, inputName: 'pixel_values', outputName: 'alphas', inputSize: 256, ...IMAGENET, output: 'probability', normalise: 'none', licence: 'test', commercialUse: true },
    });
    process.env.STUDIOFLOW_DEFAULT_MODEL = 'tiny-256';
    const placed = productFidelityNode.placement?.({ threshold: 0.5, model: 'auto' });
    assert.equal(placed?.resource, 'gpu');
    assert.equal(placed?.model?.id, 'tiny-256');
    assert.equal(productFidelityNode.placement?.({ threshold: 0.5, model: 'none' }).resource, 'cpu');

    const same = await fidelity(unchanged);
    console.log(`product-fidelity, ML matte on checks: unchanged ${same.score} (${same.failing.join(',')})`);
    assert.equal(same.candidateMaskSource, 'ml-matte');
    assert.ok(same.pass, `score ${same.score} (${same.failing})`);
    const changed = await fidelity(relabelled);
    console.log(`product-fidelity, ML matte on checks: changed label ${changed.score} (${changed.failing.join(',')})`);
    assert.equal(changed.candidateMaskSource, 'ml-matte');
    assert.equal(changed.pass, false);
    assert.equal(pool.loads, 1);
  });
});
