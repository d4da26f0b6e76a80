import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef, ModelAccess, NodeLogger, PromptValue } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { planRun } from '@studioflow/runtime/runs';
import { compilePlan, GraphInvalidError } from '@studioflow/runtime/scheduler';
import { CogClient, cogServerFor, composePromptNode, createProductCatalog, fluxLocalNode, inputImageNode, segmentNode, type CogModelConfig } from '@studioflow/nodes';
import { CogStandIn, makeProductPhoto, NodeHarness, planParams, rejectsPermanent, type CogStandInOptions } from '@studioflow/nodes/testing';
import { GpuRuntime } from '../src/gpu-runtime';

const ENV = ['STUDIOFLOW_COG_MODELS', 'STUDIOFLOW_MODELS', 'STUDIOFLOW_MODEL_DIR', 'STUDIOFLOW_DEFAULT_MODEL'];
const catalog = createProductCatalog();
/** Small and quick: the stand-in paints 512 px images; six denoising steps. */
const FAST = { size: 512, steps: 6, seed: 7 };

/**
 * flux-local on a GPU runtime slot (the CPU one here) whose model pool holds a client of a Cog
 * server: the loopback Cog stand-in, which keeps the black-mask region with a colour drift and
 * paints a seeded scene into the white one, as FLUX Fill does.
 */
describe('flux-local: FLUX Fill through a Cog server in the GPU runtime\'s model pool', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  const lines: Array<{ level: string; msg: string; extra?: Record<string, unknown> }> = [];
  const log: NodeLogger = {
    info: (msg, extra) => lines.push({ level: 'info', msg, extra }),
    warn: (msg, extra) => lines.push({ level: 'warn', msg, extra }),
    error: (msg, extra) => lines.push({ level: 'error', msg, extra }),
  };
  let gpu: GpuRuntime;
  let standIn: CogStandIn;
  let h: NodeHarness;
  let cutout: ArtifactRef;
  let prompt: PromptValue;
  // Each test configures its server afresh; a host reads the configuration when it loads, so each test gets a fresh runtime.
  const models: ModelAccess = { acquire: (id) => gpu.slots.pools[0].acquire(id) };

  /** A Cog server and a GPU runtime (one CPU slot) configured for it. */
  async function serve(options: CogStandInOptions = {}, config: Partial<CogModelConfig> = {}): Promise<void> {
    standIn = await CogStandIn.start(options);
    process.env.STUDIOFLOW_COG_MODELS = JSON.stringify({ 'flux-fill': { urls: [standIn.origin], bytes: 2 ** 20, schema: 'flux-fill', setupTimeoutS: 20, ...config } });
    gpu = new GpuRuntime({ devices: ['cpu'], budgetBytes: 2 ** 30, models: [], log });
  }

  const generate = (params: Record<string, unknown> = {}, signal?: AbortSignal) => {
    const full = planParams(fluxLocalNode, { ...FAST, ...params });
    const model = fluxLocalNode.placement!(full).model!.id;
    return fluxLocalNode.run(h.context(`flux-${Math.random()}`, signal, undefined, model), { cutout, prompt }, full);
  };

  before(async () => {
    for (const k of ENV) delete process.env[k];
    h = await NodeHarness.create({ models });
    const photo = await makeProductPhoto({ seed: 5, kind: 'bottle', color: '#b0302a', width: 800, height: 600 });
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo.jpeg, 'image/jpeg') })).image as ArtifactRef;
    cutout = (await h.runNode(segmentNode, { image }, { method: 'classical' })).cutout as ArtifactRef;
    prompt = (await h.runNode(composePromptNode, { cutout }, { scene: 'marble-bathroom', tier: 'standard', title: 'Red bottle' })).prompt as PromptValue;
  });
  afterEach(async () => {
    await gpu?.close();
    await standIn?.close();
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await h.close();
  });

  it('keeps the product pixels exactly (paste-back), paints a scene around it and reports every denoising step', async () => {
    await serve();
    h.progress.length = 0;
    const out = await generate();
    const image = out.image as ArtifactRef;
    const meta = image.meta as Record<string, any>;
    assert.deepEqual([meta.provider, meta.model, meta.schema, meta.server, meta.device, meta.seed, meta.steps], ['cog', 'flux-fill', 'flux-fill', standIn.origin, 'cpu', 7, 6]);
    assert.equal(meta.digitalSourceType, 'compositeWithTrainedAlgorithmicMedia');
    assert.ok(meta.gpuSeconds > 0 && meta.gpuSeconds === meta.predictTime, `gpuSeconds ${meta.gpuSeconds}`);
    const put = standIn.requestsTo('PUT', /^\/predictions\//)[0];
    assert.equal(put.headers.prefer, 'respond-async');
    assert.deepEqual(
      Object.keys(put.body.input).sort(),
      ['guidance', 'image', 'mask', 'megapixels', 'num_inference_steps', 'num_outputs', 'output_format', 'prompt', 'seed', 'strength'],
      'FLUX Fill\'s input schema',
    );
    assert.match(put.body.input.prompt, /Red bottle/);

    // The placement: the whole cut-out scaled onto a rectangle of the 512 px image.
    const { placement } = meta;
    const cut = await sharp(await h.get(cutout)).metadata();
    assert.deepEqual([placement.sourceWidth, placement.sourceHeight], [cut.width, cut.height]);
    assert.equal((await sharp(await h.get(image)).metadata()).width, 512);

    const result = await sharp(await h.get(image)).raw().toBuffer({ resolveWithObject: true });
    assert.equal(result.info.channels, 3);
    const product = await sharp(await h.get(cutout)).ensureAlpha().resize(placement.width, placement.height, { fit: 'fill' }).raw().toBuffer();
    const mask = await sharp(await h.get(out.mask as ArtifactRef)).extractChannel(0).raw().toBuffer();
    // Inside the product, eroded beyond the feather width: the original pixels.
    const W = 512;
    const inside = erode(mask, W, result.info.height, 8);
    let worst = 0, checked = 0;
    for (let i = 0; i < inside.length; i++) {
      if (!inside[i]) continue;
      const x = (i % W) - placement.x, y = Math.floor(i / W) - placement.y;
      const q = (y * placement.width + x) * 4;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(result.data[i * 3 + c] - product[q + c]));
      checked++;
    }
    assert.ok(checked > 5000, `${checked} interior pixels checked`);
    assert.ok(worst <= 2, `max channel difference inside the product: ${worst}`);

    // Without paste-back the model's own pixels there drift (what the stand-in does, as a VAE does).
    const raw = await new CogClient({ baseUrl: standIn.origin }).predict(put.body.input, { signal: new AbortController().signal });
    const rawPixels = await sharp(Buffer.from(String((raw.output as string[])[0]).split(',')[1], 'base64')).raw().toBuffer();
    let drift = 0;
    for (let i = 0; i < inside.length; i++) if (inside[i]) drift = Math.max(drift, Math.abs(rawPixels[i * 3] - result.data[i * 3]));
    assert.ok(drift >= 4, `the model alone shifts the product by ${drift}`);

    // Around it, a generated scene rather than the grey canvas.
    let far = 0, outside = 0;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== 0) continue;
      outside++;
      if (Math.abs(result.data[i * 3] - 0xd8) + Math.abs(result.data[i * 3 + 1] - 0xd8) + Math.abs(result.data[i * 3 + 2] - 0xd8) > 30) far++;
    }
    assert.ok(far / outside > 0.5, `${((100 * far) / outside).toFixed(0)} % of the scene differs from the canvas`);

    const steps = h.progress.map((p) => /step (\d+)\/6/.exec(p.message ?? '')?.[1]).filter(Boolean);
    assert.deepEqual(steps, ['1', '2', '3', '4', '5', '6'], 'a progress event per denoising step');
    const fractions = h.progress.map((p) => p.fraction);
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b), 'progress only grows');
    await writeFile('/tmp/flux-local-output.png', await h.get(image));
  });

  it('makes one prediction per variant with seeds seed + i, each a different scene', async () => {
    await serve();
    const out = await generate({ images: 2, seed: 100 });
    const candidates = out.candidates as ArtifactRef[];
    assert.equal(candidates.length, 2);
    assert.deepEqual(candidates.map((c) => c.meta?.seed), [100, 101]);
    assert.deepEqual(standIn.requestsTo('PUT', /^\/predictions\//).map((r) => r.body.input.seed), [100, 101]);
    assert.notEqual(candidates[0].hash, candidates[1].hash);
  });

  it('Cog 409 back-pressure delays, never fails: two jobs on one single-slot server both succeed', async () => {
    await serve({ behaviour: { stepMs: 40 } });
    h.progress.length = 0;
    const [a, b] = await Promise.all([generate({ seed: 1 }), generate({ seed: 2 })]);
    assert.ok(a.image && b.image);
    assert.ok(standIn.busyAnswers >= 1, 'one job met "all slots busy"');
    assert.ok(h.progress.some((p) => /waiting for a free slot on the server/.test(p.message ?? '')), 'the wait is shown on the node');
    assert.equal(standIn.accepted.length, 2);
    assert.equal(gpu.slots.pools[0].loads, 1, 'one warm client for both');
  });

  it('a 422 is permanent with Cog\'s words', async () => {
    // A server whose model takes fewer steps than asked (as a distilled FLUX does) refuses the input.
    await serve({ behaviour: { maxSteps: 4 } });
    await rejectsPermanent(generate(), /refused the input: num_inference_steps: Input should be less than or equal to 4/);
  });

  it('a failed prediction (HTTP 200, status failed) is permanent with Cog\'s words', async () => {
    await serve({ behaviour: { outcome: 'failed' } });
    await rejectsPermanent(generate(), /Cog prediction \w+ on http:\/\/127\.0\.0\.1:\d+ failed: CUDA out of memory/);
  });

  it('cancelling the run mid-generation cancels the remote prediction', async () => {
    await serve({ behaviour: { stepMs: 100 } });
    const abort = new AbortController();
    h.progress.length = 0;
    const running = generate({ steps: 40 }, abort.signal);
    const deadline = Date.now() + 30_000;
    while (!h.progress.some((p) => /step 2\/40/.test(p.message ?? '')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    abort.abort(new Error('run cancelled by the user'));
    await assert.rejects(running, /run cancelled by the user/);
    const [id] = standIn.accepted;
    assert.deepEqual(standIn.canceled, [id], 'the stand-in saw POST /predictions/{id}/cancel');
    assert.equal(standIn.requestsTo('POST', /\/cancel$/)[0].path, `/predictions/${id}/cancel`);
  });

  it('waits for a server still in setup (STARTING), and reports SETUP_FAILED as a clear permanent error', async () => {
    await serve({ setupMs: 600 });
    assert.ok((await generate()).image);
    assert.ok(standIn.requestsTo('GET', /^\/health-check$/).length >= 2, 'the load polled the health check');
    await gpu.close();
    await standIn.close();

    await serve({ setupFails: true });
    await rejectsPermanent(generate(), /Cog server http:\/\/127\.0\.0\.1:\d+ failed its setup \(SETUP_FAILED\): the model did not load: .*flux1-fill-dev\.safetensors/);
    assert.equal(standIn.requestsTo('PUT', /^\/predictions\//).length, 0, 'nothing was sent to a server that failed its setup');
  });

  it('maps slots to servers: cuda:N → urls[N], the CPU slot → urls[0]', () => {
    const model: CogModelConfig = { id: 'flux-fill', urls: ['http://gpu0:5000', 'http://gpu1:5000'], bytes: 0, schema: 'flux-fill', setupTimeoutS: 1 };
    assert.equal(cogServerFor(model, 'cpu'), 'http://gpu0:5000');
    assert.equal(cogServerFor(model, 'cuda:1'), 'http://gpu1:5000');
    assert.throws(() => cogServerFor(model, 'cuda:2'), /no server for cuda:2/);
  });

  it('places flux-local on the model\'s GPU queue, and refuses the graph at compile time without STUDIOFLOW_COG_MODELS', async () => {
    process.env.STUDIOFLOW_COG_MODELS = JSON.stringify({ 'flux-fill': { urls: ['http://127.0.0.1:5000'], bytes: 1, schema: 'flux-fill' } });
    const plan = compilePlan(graph(), catalog.descriptors, { place: catalog.place });
    assert.deepEqual([plan.nodes.generate.resource, plan.nodes.generate.queue, plan.nodes.generate.model?.id], ['gpu', 'gpu.flux-fill', 'flux-fill']);

    delete process.env.STUDIOFLOW_COG_MODELS;
    const refusal = (err: unknown) =>
      err instanceof GraphInvalidError && err.problems[0].nodeId === 'generate' && /flux-local needs a local FLUX server: .*set STUDIOFLOW_COG_MODELS/.test(err.message);
    assert.throws(() => compilePlan(graph(), catalog.descriptors, { place: catalog.place }), refusal);
    // planRun is startRun's compile step (the API answers 422): the upload is never stored, nothing charged.
    let uploadStored = false;
    await assert.rejects(planRun(graph(), catalog.descriptors, { place: catalog.place, seeds: async () => ((uploadStored = true), {}) }), refusal);
    assert.equal(uploadStored, false);
  });
});

/** photo → segment → compose-prompt → flux-local. */
function graph(): GraphDoc {
  return {
    nodes: [
      { id: 'photo', type: 'input-image' },
      { id: 'cut', type: 'segment', params: { method: 'classical' } },
      { id: 'prompt', type: 'compose-prompt', params: { scene: 'marble-bathroom' } },
      { id: 'generate', type: 'flux-local' },
    ],
    edges: [
      { source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' },
      { source: 'cut', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
      { source: 'cut', sourceHandle: 'cutout', target: 'generate', targetHandle: 'cutout' },
      { source: 'prompt', sourceHandle: 'prompt', target: 'generate', targetHandle: 'prompt' },
    ],
  };
}

/** Pixels whose whole (2r+1)² window is product (alpha ≥ 128). */
function erode(mask: Buffer, W: number, H: number, r: number): Uint8Array {
  const out = new Uint8Array(W * H);
  for (let y = r; y < H - r; y++) {
    for (let x = r; x < W - r; x++) {
      let all = mask[y * W + x] >= 128;
      for (let dy = -r; dy <= r && all; dy++) for (let dx = -r; dx <= r && all; dx++) if (mask[(y + dy) * W + x + dx] < 128) all = false;
      if (all) out[y * W + x] = 1;
    }
  }
  return out;
}
