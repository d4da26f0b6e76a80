import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ArtifactRef, ModelAccess } from '@studioflow/runtime/contract';
import { inputImageNode, segmentNode } from '@studioflow/nodes';
import { darkProductScene, iou, maskOf, NodeHarness, rawOf, rejectsPermanent, thresholdAt, tinySegmentationModel } from '@studioflow/nodes/testing';
import { ModelPool } from '../src/model-pool';
import { segmentationBackend } from '../src/segmentation-models';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] };
const ENV = ['STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL', 'STUDIOFLOW_MODEL_CATALOG', 'STUDIOFLOW_MODEL_LICENCE_POLICY'];

/** The segment node on a GPU runtime slot (a CPU one here): the harness places it like compilePlan and hands it the slot's pool. */
describe('segment with an ONNX model on a GPU runtime slot', () => {
  let h: NodeHarness;
  let pool: ModelPool;
  const poolLogs: Array<{ level: string; msg: string }> = [];
  const slotPool = (device: 'cpu' | 'cuda:0') =>
    new ModelPool({
      device,
      budgetBytes: 2 ** 30,
      backends: [segmentationBackend()],
      log: { info: (msg) => poolLogs.push({ level: 'info', msg }), warn: (msg) => poolLogs.push({ level: 'warn', msg }), error: (msg) => poolLogs.push({ level: 'error', msg }) },
    });
  // Each test configures models afresh; a host reads the configuration once, so each test gets a fresh slot.
  const models: ModelAccess = { acquire: (id) => pool.acquire(id) };
  let dir: string;
  let scene: { jpeg: Buffer; mask: Uint8Array };
  let image: ArtifactRef;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

  /** Writes a tiny model into the temp dir and returns its path. */
  const modelFile = async (name: string, size: number, norm: { mean: number[]; std: number[] }, sigmoid: boolean, steepness = 0.12) => {
    const { k, b } = thresholdAt(150, steepness, norm.mean, norm.std);
    const path = join(dir, name);
    await writeFile(path, tinySegmentationModel({ size, k, b, sigmoid }));
    return path;
  };
  const preset = (file: string, size: number, norm: { mean: number[]; std: number[] }, output: string, normalise: string) => ({
    file, inputName: 'pixel_values', outputName: 'alphas', inputSize: size, ...norm, output, normalise, licence: 'test', commercialUse: true,
  });
  const segment = async (params: Record<string, unknown>) => {
    const out = await h.runNode(segmentNode, { image }, params as never);
    return { cutout: out.cutout as ArtifactRef, mask: out.mask as ArtifactRef };
  };

  before(async () => {
    h = await NodeHarness.create({ models });
    dir = h.store.dir;
    scene = await darkProductScene(3, 640, 480);
    image = (await h.runNode(inputImageNode, { upload: await h.put(scene.jpeg, 'image/jpeg') })).image as ArtifactRef;
  });
  beforeEach(() => {
    for (const k of ENV) delete process.env[k];
    process.env.STUDIOFLOW_MODEL_DIR = join(dir, 'no-models-installed');
    pool = slotPool('cpu');
  });
  afterEach(() => pool.close());
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await h.close();
  });

  it('runs a configured 64 px preset end to end: mask geometry, sizes, cut-out, meta', async () => {
    const file = await modelFile('tiny64.onnx', 64, IMAGENET, true);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ 'tiny-64': preset(file, 64, IMAGENET, 'probability', 'none') });
    const { cutout, mask } = await segment({ method: 'onnx', model: 'tiny-64' });
    assert.deepEqual([mask.width, mask.height], [640, 480]);
    const score = iou(await maskOf(h, mask), scene.mask);
    console.log(`segment onnx (64 px test model): IoU ${score.toFixed(4)}`);
    assert.ok(score >= 0.9, `IoU ${score}`);
    const cut = await rawOf(h, cutout);
    const meta = cutout.meta as Record<string, any>;
    assert.equal(cut.channels, 4);
    assert.deepEqual([cut.width, cut.height], [meta.bbox.width, meta.bbox.height]);
    assert.equal(meta.method, 'onnx');
    assert.equal(meta.model, 'tiny-64');
    assert.equal(meta.provider, 'cpu');
    assert.equal(cut.data[3], 0, 'the cut-out corner is transparent');
  });

  it('auto uses the model when one is configured and classical otherwise; onnx without a model fails clearly', async () => {
    const file = await modelFile('tiny64.onnx', 64, IMAGENET, true);
    const classical = await segment({});
    assert.equal(classical.cutout.meta?.method, 'classical');
    await rejectsPermanent(segment({ method: 'onnx' }), /model not configured: set up "auto" \(install one with `npx studioflow models install <id>`.*or set STUDIOFLOW_MODEL_DIR/);
    await rejectsPermanent(segment({ method: 'onnx', model: 'rmbg-2.0' }), /model not configured: set up "rmbg-2.0"/);
    await rejectsPermanent(segment({ method: 'onnx', model: 'nope' }), /unknown segmentation model "nope"/);

    process.env.STUDIOFLOW_MODELS = JSON.stringify({ 'tiny-64': preset(file, 64, IMAGENET, 'probability', 'none') });
    process.env.STUDIOFLOW_DEFAULT_MODEL = 'tiny-64';
    assert.equal((await segment({})).cutout.meta?.method, 'onnx');
    assert.equal((await segment({ method: 'classical' })).cutout.meta?.method, 'classical');
  });

  it('never picks a non-commercial preset on auto, even when its file is present', async () => {
    const file = await modelFile('rmbg-2.0.onnx', 64, IMAGENET, true);
    process.env.STUDIOFLOW_MODEL_DIR = dir;
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ 'rmbg-2.0': { inputSize: 64 } });
    assert.equal((await segment({})).cutout.meta?.method, 'classical');
    const chosen = await segment({ model: 'rmbg-2.0' });
    assert.equal(chosen.cutout.meta?.model, 'rmbg-2.0');
    assert.match(String(chosen.cutout.meta?.licence), /CC BY-NC 4\.0/);
    assert.ok(file.endsWith('rmbg-2.0.onnx'));
  });

  it('normalises logits: min-max (rmbg-1.4 style) and sigmoid (birefnet style, differently named input)', async () => {
    const logits = await modelFile('logits.onnx', 64, HALF, false);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({
      'rmbg-1.4': { file: logits, inputSize: 64 },
      birefnet: { file: await modelFile('birefnet-like.onnx', 64, IMAGENET, false), inputSize: 64 },
    });
    for (const model of ['rmbg-1.4', 'birefnet']) {
      // The tiny model's logits are linear in colour: min-max leaves a soft matte the trust check would
      // rightly refuse as half-transparent. This test is about normalisation; the verdict is still reported.
      const { cutout, mask } = await segment({ method: 'onnx', model, trustCheck: 'off' });
      assert.ok((cutout.meta as { trust?: { score: number } }).trust, `${model}: the trust figures are reported`);
      const meta = cutout.meta as Record<string, number>;
      assert.ok(meta.rawMin < -1 && meta.rawMax > 1, `${model}: the model emits logits (${meta.rawMin}..${meta.rawMax})`);
      const m = await maskOf(h, mask);
      let lo = 255, hi = 0;
      for (const v of m) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      assert.deepEqual([lo, hi], [0, 255], `${model}: alpha spans the full range`);
      const score = iou(m, scene.mask);
      console.log(`segment onnx ${model}-style logits: IoU ${score.toFixed(4)} (raw ${meta.rawMin.toFixed(1)}..${meta.rawMax.toFixed(1)})`);
      assert.ok(score >= 0.85, `${model}: IoU ${score}`);
    }
  });

  it('loads the model once and keeps it warm across jobs', async () => {
    const file = await modelFile('reuse.onnx', 64, IMAGENET, true);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ reuse: preset(file, 64, IMAGENET, 'probability', 'none') });
    for (let job = 0; job < 3; job++) assert.equal((await segment({ method: 'onnx', model: 'reuse' })).cutout.meta?.model, 'reuse');
    assert.equal(pool.loads, 1, 'three jobs, one load');
    const status = pool.status();
    assert.deepEqual(status.models.map((m) => [m.id, m.users]), [['reuse', 0]], 'warm and released after each job');
    assert.equal(status.coldStarts.length, 1);
    assert.ok(poolLogs.some((l) => l.msg === 'model loaded (cold start)'));
  });

  it('falls back to the CPU with one log line when the slot asks for CUDA on a machine without it', async () => {
    await pool.close();
    pool = slotPool('cuda:0');
    poolLogs.length = 0;
    const file = await modelFile('cuda.onnx', 64, IMAGENET, true);
    const other = await modelFile('cuda-2.onnx', 64, IMAGENET, true);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ gpu: preset(file, 64, IMAGENET, 'probability', 'none'), gpu2: preset(other, 64, IMAGENET, 'probability', 'none') });
    const { cutout } = await segment({ method: 'onnx', model: 'gpu' });
    assert.equal(cutout.meta?.provider, 'cpu');
    assert.equal(cutout.meta?.device, 'cuda:0');
    await segment({ method: 'onnx', model: 'gpu2' });
    assert.equal(poolLogs.filter((l) => l.level === 'warn' && /CUDA execution provider unavailable/.test(l.msg)).length, 1, 'one fallback line per slot');
  });

  it('rejects a missing and a malformed model file at load with clear permanent errors', async () => {
    const bad = join(dir, 'broken.onnx');
    await writeFile(bad, Buffer.from('this is not a protobuf model, just some text'));
    process.env.STUDIOFLOW_MODELS = JSON.stringify({
      missing: preset(join(dir, 'nowhere.onnx'), 64, IMAGENET, 'probability', 'none'),
      broken: preset(bad, 64, IMAGENET, 'probability', 'none'),
    });
    await rejectsPermanent(segment({ model: 'missing' }), /model file not found: .*nowhere\.onnx/);
    await rejectsPermanent(segment({ model: 'broken' }), /broken\.onnx could not be loaded as an ONNX model/);
    process.env.STUDIOFLOW_MODELS = '{"broken": {"inputSize": "big"}}';
    await rejectsPermanent(segment({}), /STUDIOFLOW_MODELS preset "broken" is missing or has invalid: file, inputName/);
  });

  it('refuses a probability model run with a sigmoid on top (IS-Net behind the birefnet preset), naming the output kind', async () => {
    // The model's output is already a probability; birefnet's preset adds ImageNet normalisation and a sigmoid: 127–186 everywhere.
    const file = await modelFile('isnet-like.onnx', 64, HALF, true);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ birefnet: { file, inputSize: 64 }, 'isnet-like': preset(file, 64, HALF, 'probability', 'none') });
    await rejectsPermanent(
      segment({ method: 'onnx', model: 'birefnet' }),
      /model "birefnet" returned something that does not look like a matte: 100 % of it is neither background nor product.*near-constant.*likely cause: the output kind.*set output "probability" and normalise "none"/s,
    );
    assert.equal((await segment({ method: 'onnx', model: 'isnet-like' })).cutout.meta?.method, 'onnx', 'the same file with the right preset runs');
  });

  it('refuses a matte the wrong input normalisation flattened, naming the normalisation', async () => {
    // Trained for inputs (x/255 − 0.5) / 0.05: fed the usual std of 1 its output barely moves.
    const narrow = { mean: [0.5, 0.5, 0.5], std: [0.05, 0.05, 0.05] };
    const file = await modelFile('narrow.onnx', 64, narrow, true, 0.05);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ wrong: preset(file, 64, HALF, 'probability', 'none'), right: preset(file, 64, narrow, 'probability', 'none') });
    await rejectsPermanent(segment({ method: 'onnx', model: 'wrong' }), /does not look like a matte.*near-constant.*likely cause: the input normalisation\. The preset feeds \(x\/255 − \[0\.5, 0\.5, 0\.5\]\) \/ \[1, 1, 1\]/s);
    const { mask } = await segment({ method: 'onnx', model: 'right' });
    const score = iou(await maskOf(h, mask), scene.mask);
    assert.ok(score >= 0.85, `the same model with its own normalisation: IoU ${score}`);
  });

  it('runs the real rmbg-2.0 contract: pixel_values [1,3,1024,1024] → alphas [1,1,1024,1024]', async () => {
    const file = await modelFile('rmbg-2.0-shape.onnx', 1024, IMAGENET, true);
    process.env.STUDIOFLOW_MODELS = JSON.stringify({ 'rmbg-2.0': { file } });
    const t0 = Date.now();
    const { cutout, mask } = await segment({ method: 'onnx', model: 'rmbg-2.0' });
    const meta = cutout.meta as Record<string, number>;
    assert.equal(meta.inputSize, 1024);
    assert.ok(meta.rawMin >= 0 && meta.rawMax <= 1, 'probabilities pass through without a sigmoid');
    const score = iou(await maskOf(h, mask), scene.mask);
    console.log(`segment onnx rmbg-2.0 contract (1024 px): IoU ${score.toFixed(4)}, node ${Date.now() - t0} ms, inference ${meta.inferenceMs} ms`);
    assert.ok(score >= 0.95, `IoU ${score}`);
  });
});
