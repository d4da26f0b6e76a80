import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import { compilePlan, GraphInvalidError } from '@studioflow/runtime/scheduler';
import { runGraphLocally } from '@studioflow/runtime/local';
import { planRun } from '@studioflow/runtime/runs';
import type { GraphDoc } from '@studioflow/runtime/graph';
import type { ArtifactRef, PromptValue } from '@studioflow/runtime/contract';
import { createProductCatalog } from '../catalog';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { ReplicateStandIn } from '../testing/replicate-stand-in';
import { rejectsPermanent } from '../testing/support';
import { composePromptNode } from './compose-prompt';
import { REPLICATE_MODELS, TIER_MODELS } from './replicate-models';
import { seedreamNode } from './seedream';

const ENV = ['REPLICATE_API_TOKEN', 'REPLICATE_BASE_URL'];
const catalog = createProductCatalog();

/** A cut-out: an opaque rounded box on transparency, as segment hands it over. */
async function cutoutPng(): Promise<Buffer> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><rect x="20" y="20" width="160" height="260" rx="30" fill="#2a6fb0"/></svg>';
  return sharp(Buffer.from(svg)).ensureAlpha().png().toBuffer();
}

describe('seedream: generation on Replicate (loopback stand-in)', () => {
  let standIn: ReplicateStandIn;
  let h: NodeHarness;
  let cutout: ArtifactRef;
  let premiumPrompt: unknown;
  let standardPrompt: unknown;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

  before(async () => {
    standIn = await ReplicateStandIn.start();
    process.env.REPLICATE_API_TOKEN = 'test-token';
    process.env.REPLICATE_BASE_URL = standIn.baseUrl;
    h = await NodeHarness.create();
    cutout = await h.put(await cutoutPng(), 'image/png');
    premiumPrompt = (await h.runNode(composePromptNode, { cutout }, { scene: 'marble-bathroom', tier: 'premium', title: 'Face Serum 30 ml' })).prompt;
    standardPrompt = (await h.runNode(composePromptNode, { cutout }, { scene: 'marble-bathroom', tier: 'standard' })).prompt;
  });
  beforeEach(() => standIn.set({}));
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await h.close();
    await standIn.close();
  });

  const lastCreate = () => standIn.requestsTo('POST', /\/predictions$/).at(-1)!;

  it('generates premium shots with Seedream 4 and records the prediction id, predict time and cost on each artifact', async () => {
    standIn.set({ predictTime: 7.5 });
    const costsBefore = h.costs.length;
    const out = await h.runNode(seedreamNode, { cutout, prompt: premiumPrompt as PromptValue }, { images: 2, aspectRatio: '4:3' }, 'seedream-premium');
    const create = lastCreate();
    assert.equal(create.path, '/v1/models/bytedance/seedream-4/predictions');
    const input = create.body.input;
    assert.match(input.prompt, /Face Serum 30 ml/);
    assert.match(input.prompt, /Avoid: /, 'Seedream has no negative prompt: the negative text rides along');
    assert.equal(input.image_input.length, 1);
    assert.match(input.image_input[0], /^data:image\/png;base64,/);
    assert.deepEqual([input.aspect_ratio, input.size, input.max_images], ['4:3', '2K', 2]);
    assert.equal('seed' in input || 'guidance_scale' in input, false, 'Seedream 4 takes no seed and no guidance');
    assert.match(create.headers['cancel-after'] as string, /^\d+s$/);

    const candidates = out.candidates as ArtifactRef[];
    assert.equal(candidates.length, 2);
    assert.equal((out.image as ArtifactRef).hash, candidates[0].hash);
    const id = /^standin\d+$/;
    for (const ref of candidates) {
      assert.match(String(ref.meta?.predictionId), id);
      assert.deepEqual(
        [ref.meta?.provider, ref.meta?.model, ref.meta?.predictTime, ref.meta?.costUsd, ref.meta?.digitalSourceType],
        ['replicate', 'seedream-4', 7.5, 0.03, 'trainedAlgorithmicMedia'],
      );
      const meta = await sharp(await h.get(ref)).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 96, 64]);
    }
    const reported = h.costs.slice(costsBefore);
    assert.deepEqual(
      reported.map((c) => [c.nodeId, c.kind, c.model, Number(c.usd.toFixed(6))]),
      [['seedream-premium', 'cloud', 'bytedance/seedream-4', 0.06]],
      'one prediction of two images reported to ctx.cost at the per-image price',
    );
  });

  it('runs the fast model for the standard tier, one prediction per variant with consecutive seeds', async () => {
    const before = standIn.requestsTo('POST', /\/predictions$/).length;
    const out = await h.runNode(seedreamNode, { cutout, prompt: standardPrompt as PromptValue }, { images: 2, seed: 41 });
    const creates = standIn.requestsTo('POST', /\/predictions$/).slice(before);
    const fast = REPLICATE_MODELS.find((m) => m.id === TIER_MODELS.standard)!;
    assert.deepEqual(creates.map((c) => c.path), [1, 2].map(() => `/v1/models/${fast.replicate}/predictions`));
    assert.deepEqual(creates.map((c) => c.body.input.seed).sort(), [41, 42]);
    assert.match(creates[0].body.input.input_image, /^data:image\/png;base64,/);
    const candidates = out.candidates as ArtifactRef[];
    assert.equal(candidates.length, 2);
    assert.notEqual(candidates[0].meta?.predictionId, candidates[1].meta?.predictionId);
    assert.equal(candidates[0].meta?.model, fast.id);
  });

  it('uploads a large reference through the files API and sends its URL instead of a data URL', async () => {
    const noise = await sharp(randomBytes(900 * 700 * 4), { raw: { width: 900, height: 700, channels: 4 } }).png().toBuffer();
    const large = await h.put(noise, 'image/png');
    await h.runNode(seedreamNode, { cutout: large, prompt: premiumPrompt as PromptValue });
    const upload = standIn.requestsTo('POST', /^\/v1\/files$/).at(-1)!;
    assert.match(String(upload.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.ok(upload.bytes > 256 * 1024);
    assert.match(lastCreate().body.input.image_input[0], new RegExp(`^${standIn.baseUrl}/files/file\\d+$`));
  });

  it('lets the tier param override the prompt', async () => {
    await h.runNode(seedreamNode, { cutout, prompt: standardPrompt as PromptValue }, { tier: 'premium' });
    assert.equal(lastCreate().path, '/v1/models/bytedance/seedream-4/predictions');
  });

  it("fails a failed prediction permanently with Replicate's error text", async () => {
    standIn.set({ outcome: 'failed', error: 'E005: sensitive content detected' });
    await rejectsPermanent(h.runNode(seedreamNode, { cutout, prompt: premiumPrompt as PromptValue }), /prediction standin\d+ failed: E005: sensitive content detected/);
  });

  it('cancels the sibling predictions of a variant that failed instead of paying for them', async () => {
    standIn.set({ outcomes: ['failed', 'hang'] });
    const cancelsBefore = standIn.requestsTo('POST', /\/cancel$/).length;
    await rejectsPermanent(h.runNode(seedreamNode, { cutout, prompt: standardPrompt as PromptValue }, { images: 2 }), /failed: E001/);
    assert.equal(standIn.requestsTo('POST', /\/cancel$/).length - cancelsBefore, 1);
  });

  it('ends the wait on an aborted prediction with an error that says so, and lets a retry try again', async () => {
    standIn.set({ outcome: 'aborted' });
    const err = await h.runNode(seedreamNode, { cutout, prompt: premiumPrompt as PromptValue }).then(
      () => assert.fail('expected a rejection'),
      (e: Error & { permanent?: boolean }) => e,
    );
    assert.match(err.message, /aborted by Replicate before it started/);
    assert.notEqual(err.permanent, true);
  });

  it('cancels the remote prediction when the job is aborted', async () => {
    standIn.set({ outcome: 'hang' });
    const controller = new AbortController();
    const params = { tier: 'prompt', aspectRatio: '1:1', size: '2K', images: 1, seed: -1 } as const;
    const cancelsBefore = standIn.requestsTo('POST', /\/cancel$/).length;
    const running = seedreamNode.run(h.context('seedream-abort', controller.signal), { cutout, prompt: premiumPrompt as PromptValue }, params);
    setTimeout(() => controller.abort(), 700);
    await assert.rejects(running);
    const cancels = standIn.requestsTo('POST', /\/cancel$/).slice(cancelsBefore);
    assert.equal(cancels.length, 1);
    assert.match(cancels[0].path, /^\/v1\/predictions\/standin\d+\/cancel$/);
  });

  it('fails clearly when a generated image cannot be downloaded', async () => {
    standIn.set({ output: 'missing' });
    await rejectsPermanent(h.runNode(seedreamNode, { cutout, prompt: premiumPrompt as PromptValue }), /downloading output .*gone0\.png failed: HTTP 404/);
  });

  it('fails permanently when a downloaded output is labelled an image but does not decode', async () => {
    standIn.set({ output: 'corrupt' });
    await rejectsPermanent(h.runNode(seedreamNode, { cutout, prompt: premiumPrompt as PromptValue }), /generated image 1 of prediction standin\d+/);
  });

  it('runs after compose-prompt in a local graph run', async () => {
    const graph = generationGraph({ scene: 'marble-bathroom', tier: 'premium' });
    const upload = await h.put((await makeProductPhoto({ seed: 21, width: 800, height: 600 })).jpeg, 'image/jpeg');
    const plan = compilePlan(graph, catalog.descriptors, { place: catalog.place });
    assert.equal(plan.nodes.generate.resource, 'cloud');
    const run = await runGraphLocally(graph, { catalog, artifacts: h.store, seeds: { upload } });
    assert.equal(run.error, undefined);
    const image = run.outputs.generate?.image as ArtifactRef;
    assert.equal(image.meta?.digitalSourceType, 'trainedAlgorithmicMedia');
  });
});

describe('seedream without Replicate configured', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  before(() => {
    for (const k of ENV) delete process.env[k];
  });
  after(() => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  });

  it('refuses the graph when the plan is compiled, saying what to configure, before the run stores or charges anything', async () => {
    const graph = generationGraph({});
    const refusal = (err: unknown) => err instanceof GraphInvalidError && err.problems[0].nodeId === 'generate' && /REPLICATE_API_TOKEN/.test(err.message);
    assert.throws(() => compilePlan(graph, catalog.descriptors, { place: catalog.place }), refusal);
    // planRun is startRun's compile step (the API maps GraphInvalidError to 422): the upload is never stored, nothing charged.
    let uploadStored = false;
    await assert.rejects(
      planRun(graph, catalog.descriptors, { place: catalog.place, seeds: async () => ((uploadStored = true), {}) }),
      refusal,
    );
    assert.equal(uploadStored, false);
  });
});

/** photo → segment → compose-prompt → seedream, the cut-out also as seedream's reference image. */
function generationGraph(promptParams: Record<string, unknown>): GraphDoc {
  return {
    nodes: [
      { id: 'input', type: 'input-image', params: {} },
      { id: 'segment', type: 'segment', params: {} },
      { id: 'prompt', type: 'compose-prompt', params: promptParams },
      { id: 'generate', type: 'seedream', params: {} },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
      { source: 'segment', sourceHandle: 'cutout', target: 'generate', targetHandle: 'cutout' },
      { source: 'prompt', sourceHandle: 'prompt', target: 'generate', targetHandle: 'prompt' },
    ],
  };
}
