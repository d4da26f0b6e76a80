import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { compilePlan, GraphInvalidError, type RunPlan } from '@studioflow/runtime/scheduler';
import { cacheKey, jobFor } from '@studioflow/runtime/store';
import type { GraphDoc } from '@studioflow/runtime/graph';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { createProductCatalog, warmUpProductNodes } from '../index';
import { inputImageNode } from '../input/input-image';
import { segmentNode } from './segment';
import { NodeHarness } from '../testing/node-harness';
import { darkProductScene } from '../testing/dark-product-scene';
import { rejectsPermanent } from '../testing/support';
import { tinySegmentationModel } from '../testing/tiny-onnx-model';

const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];
const catalog = createProductCatalog();

function shoot(segmentParams: Record<string, unknown> = {}): GraphDoc {
  return {
    nodes: [
      { id: 'photo', type: 'input-image' },
      { id: 'cut', type: 'segment', params: segmentParams },
    ],
    edges: [{ source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' }],
  };
}

const compile = (doc: GraphDoc): RunPlan => compilePlan(doc, catalog.descriptors, { place: catalog.place });
const job = (plan: RunPlan) => jobFor({ runId: 'r1', tenantId: 't1', plan, info: { runId: 'r1', tenantId: 't1' }, seedInputs: {}, priceCredits: 0 }, 'cut', 1, {}, plan.nodes.cut.params);

describe('segment placement: the GPU runtime with a model, CPU workers without', () => {
  let dir: string;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  const configure = (models: Record<string, unknown>, defaultModel?: string) => {
    process.env.STUDIOFLOW_MODELS = JSON.stringify(models);
    if (defaultModel) process.env.STUDIOFLOW_DEFAULT_MODEL = defaultModel;
  };
  const tiny = (revision?: string) => ({
    file: join(dir, 'tiny.onnx'), inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, mean: [0.5, 0.5, 0.5], std: [1, 1, 1],
    output: 'probability', normalise: 'none', licence: 'test', commercialUse: true, ...(revision ? { revision } : {}),
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-placement-'));
    await writeFile(join(dir, 'tiny.onnx'), tinySegmentationModel({ size: 64, k: -1, b: 0, sigmoid: true }));
  });
  beforeEach(() => {
    for (const k of ENV) delete process.env[k];
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await rm(dir, { recursive: true, force: true });
  });

  it('a CPU worker warms up with a model configured: its warm-up runs the classical matte, not the model it cannot load', async () => {
    configure({ tiny: tiny() }, 'tiny');
    await warmUpProductNodes({ small: 1, fullSize: 0 });
  });

  it('places a segment with a configured model on the gpu resource and its per-model queue', () => {
    configure({ tiny: tiny() }, 'tiny');
    const plan = compile(shoot());
    const cut = plan.nodes.cut;
    assert.equal(cut.resource, 'gpu');
    assert.equal(cut.model?.id, 'tiny');
    assert.match(cut.model?.fingerprint ?? '', /^[0-9a-f]{16}$/);
    assert.equal(cut.queue, 'gpu.tiny');
    const spec = job(plan);
    assert.equal(spec.queue, 'gpu.tiny');
    assert.equal(spec.data.model, 'tiny', 'the worker hands the model id to the node as ctx.model');
    assert.ok(!spec.queue.includes(':') && !spec.jobId.includes(':'), 'BullMQ reserves ":"');
    assert.equal(plan.nodes.photo.resource, 'cpu', 'other nodes keep their resource');
  });

  it('keeps segment on the cpu queue without a model, and with method classical', () => {
    const none = compile(shoot());
    assert.equal(none.nodes.cut.resource, 'cpu');
    assert.equal(none.nodes.cut.model, undefined);
    assert.equal(job(none).queue, 'cpu');
    configure({ tiny: tiny() }, 'tiny');
    const classical = compile(shoot({ method: 'classical' }));
    assert.equal(classical.nodes.cut.resource, 'cpu');
    assert.equal(job(classical).queue, 'cpu');
  });

  it('refuses a graph naming an unknown model before the run starts', () => {
    assert.throws(() => compile(shoot({ model: 'nope' })), (err: unknown) =>
      err instanceof GraphInvalidError && err.problems[0].nodeId === 'cut' && /unknown segmentation model "nope"/.test(err.problems[0].message));
  });

  it('keys the execution cache by the configured model, not by the compiling process', () => {
    configure({ tiny: tiny() }, 'tiny');
    const first = compile(shoot()).nodes.cut;
    process.env.STUDIOFLOW_MODEL_DIR = dir; // unrelated to the placed model
    const again = compile(shoot()).nodes.cut;
    assert.equal(cacheKey(again, again.params, {}), cacheKey(first, first.params, {}), 'same model configuration, same key');
    configure({ tiny: tiny('weights-v2') }, 'tiny');
    const replaced = compile(shoot()).nodes.cut;
    assert.notEqual(replaced.model?.fingerprint, first.model?.fingerprint);
    assert.notEqual(cacheKey(replaced, replaced.params, {}), cacheKey(first, first.params, {}), 'new weights, new key');
  });

  it('fails clearly when a node placed for a model runs where no model pool exists', async () => {
    configure({ tiny: tiny() }, 'tiny');
    const h = await NodeHarness.create();
    try {
      const scene = await darkProductScene(1, 160, 120);
      const image = (await h.runNode(inputImageNode, { upload: await h.put(scene.jpeg, 'image/jpeg') })).image as ArtifactRef;
      await rejectsPermanent(h.runNode(segmentNode, { image }), /model "tiny" needs the GPU runtime: this process has no model pool/);
    } finally {
      await h.close();
    }
    // Compiling and refusing, as the API and a CPU worker do, never loads the inference runtime.
    assert.equal(Object.keys(require.cache).filter((path) => path.includes('onnxruntime-node')).length, 0);
  });
});
