import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ArtifactRef, ModelAccess } from '@studioflow/runtime/contract';
import { inputImageNode, segmentNode, studioCompositeNode, upscaleNode } from '@studioflow/nodes';
import { makeProductPhoto, NodeHarness, rawOf, tinyUpscalerModel } from '@studioflow/nodes/testing';
import { ModelPool } from '../src/model-pool';
import { segmentationBackend } from '../src/segmentation-models';

const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];

describe('upscale with an ONNX upscaler from the model registry, on a GPU runtime slot', () => {
  let h: NodeHarness;
  let pool: ModelPool;
  const models: ModelAccess = { acquire: (id) => pool.acquire(id) };
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let cutout: ArtifactRef;

  before(async () => {
    h = await NodeHarness.create({ models });
    // A 512 px photo: too small for a 2048 px shot within the 2× cap.
    const photo = await makeProductPhoto({ seed: 15, kind: 'box', width: 512, height: 384 });
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo.jpeg, 'image/jpeg') })).image as ArtifactRef;
    cutout = (await h.runNode(segmentNode, { image }, { method: 'classical' })).cutout as ArtifactRef;
  });
  beforeEach(() => {
    for (const k of ENV) delete process.env[k];
    pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [segmentationBackend()], log: { info() {}, warn() {}, error() {} } });
  });
  afterEach(() => pool.close());
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await h.close();
  });

  const configure = async (scale: number) => {
    const file = join(h.store.dir, `tiny-x${scale}.onnx`);
    await writeFile(file, tinyUpscalerModel({ scale }));
    process.env.STUDIOFLOW_MODELS = JSON.stringify({
      [`tiny-x${scale}`]: {
        task: 'upscale', scale, file, inputName: 'input', outputName: 'output', inputSize: 2048,
        mean: [0, 0, 0], std: [1, 1, 1], output: 'probability', normalise: 'none', licence: 'test upscaler: MIT', commercialUse: true,
      },
    });
    return `tiny-x${scale}`;
  };
  const composite = async (cut: ArtifactRef) => (await h.runNode(studioCompositeNode, { cutout: cut }, {} as never)).image as ArtifactRef;

  it('is placed on the GPU runtime for the configured upscaler, and on a CPU worker (pass-through) without one', async () => {
    assert.deepEqual(upscaleNode.placement!({ model: 'auto' } as never), { resource: 'cpu' });
    const id = await configure(2);
    const placed = upscaleNode.placement!({ model: 'auto' } as never);
    assert.equal(placed.resource, 'gpu');
    assert.equal(placed.model?.id, id);
    assert.throws(() => upscaleNode.placement!({ model: 'nope' } as never), /unknown upscaler "nope"/);
    assert.throws(() => segmentNode.placement!({ method: 'onnx', model: id } as never), /is an upscaler, not a segmentation model/);
  });

  it('enlarges a small cut-out with the model, alpha and coordinates following; the composite then makes a larger shot within the cap', async () => {
    const plain = await composite(cutout);
    const id = await configure(4);
    const out = (await h.runNode(upscaleNode, { cutout }, { model: id, minSide: 1024 } as never)).cutout as ArtifactRef;
    assert.deepEqual([out.width, out.height], [cutout.width! * 4, cutout.height! * 4]);
    const meta = out.meta as { upscaledBy: { model: string; licence: string; scale: number }; workingScale: number; bbox: { width: number } };
    assert.deepEqual(meta.upscaledBy, { model: id, licence: 'test upscaler: MIT', scale: 4 });
    assert.equal(meta.bbox.width, (cutout.meta as { bbox: { width: number } }).bbox.width * 4);
    const px = await rawOf(h, out);
    assert.equal(px.channels, 4, 'the alpha is kept');
    assert.equal(px.data[3], 0, 'a transparent corner stays transparent');

    const big = await composite(out);
    const scale = big.meta?.sourceScale as { upscale: number; neededUpscale?: number };
    console.log(`upscale: 512 px photo → shot ${plain.width} px plain, ${big.width} px with a ×4 model (plain enlargement ${scale.upscale}×)`);
    assert.ok(big.width! >= 2 * plain.width! - 2, `the model's enlargement counts as detail (${plain.width} → ${big.width})`);
    assert.ok(scale.upscale <= 2, 'the plain enlargement stays within the cap');
  });

  it('passes a cut-out that is already large enough through untouched', async () => {
    const id = await configure(2);
    const out = (await h.runNode(upscaleNode, { cutout }, { model: id, minSide: 64 } as never)).cutout as ArtifactRef;
    assert.equal(out.hash, cutout.hash);
  });
});
