import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef, PromptValue } from '@studioflow/runtime/contract';
import { NodeHarness } from '../testing/node-harness';
import { ReplicateStandIn } from '../testing/replicate-stand-in';
import { CogStandIn } from '../testing/cog-stand-in';
import { rejectsPermanent } from '../testing/support';
import { ProviderBreakers, routeScene, sceneProviderBreakers, type FailoverStep } from '../providers/scene-router';
import { generateSceneNode, missingProviderMessage, SCENE_PROVIDERS } from './generate-scene';

const ENV = ['REPLICATE_API_TOKEN', 'REPLICATE_BASE_URL', 'STUDIOFLOW_COG_MODELS', 'STUDIOFLOW_BREAKER_FAILURES', 'STUDIOFLOW_BREAKER_COOLDOWN_MS'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const restoreEnv = () => {
  for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
};
const BREAKER_FAILURES = 2;
const COOLDOWN_MS = 4_000;

const prompt = (tier: 'standard' | 'premium'): PromptValue => ({
  format: 'studioflow.prompt/1',
  positive: 'A serum bottle on a marble shelf, soft morning light.',
  negative: 'warped label',
  tier,
});

async function cutoutPng(): Promise<Buffer> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><rect x="20" y="20" width="160" height="260" rx="30" fill="#2a6fb0"/></svg>';
  return sharp(Buffer.from(svg)).ensureAlpha().png().toBuffer();
}

/** 1K images: the local pipeline's canvas, paste-back and PNGs stay quick on a busy machine. */
const SMALL = { size: '1K' } as const;

const served = (ref: ArtifactRef) => ({ provider: ref.meta?.sceneProvider, chain: (ref.meta?.failover as FailoverStep[]).map((s) => `${s.provider} ${s.outcome}`) });

describe('generate-scene: routing and failover between the cloud (Replicate) and local Cog servers', () => {
  let replicate: ReplicateStandIn;
  let cog: CogStandIn;
  let h: NodeHarness;
  let cutout: ArtifactRef;

  before(async () => {
    replicate = await ReplicateStandIn.start();
    cog = await CogStandIn.start({ concurrency: 1, behaviour: { stepMs: 5 } });
    process.env.REPLICATE_API_TOKEN = 'test-token';
    process.env.REPLICATE_BASE_URL = replicate.baseUrl;
    process.env.STUDIOFLOW_COG_MODELS = JSON.stringify({ 'flux-fill': { urls: [cog.origin], schema: 'flux-fill' } });
    // Read once, when the process's breakers are made (the first generate-scene job).
    process.env.STUDIOFLOW_BREAKER_FAILURES = String(BREAKER_FAILURES);
    process.env.STUDIOFLOW_BREAKER_COOLDOWN_MS = String(COOLDOWN_MS);
    h = await NodeHarness.create();
    cutout = await h.put(await cutoutPng(), 'image/png');
  });
  beforeEach(() => {
    replicate.set({ stepMs: 20 });
    cog.behaviour = { ...cog.behaviour, outcome: 'succeeded', stepMs: 5 };
  });
  after(async () => {
    restoreEnv();
    await h.close();
    await replicate.close();
    await cog.close();
  });

  it('runs the standard tier on the local Cog server (FLUX Fill) and outputs the placement mask', async () => {
    const accepted = cog.accepted.length;
    const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }, { aspectRatio: '4:3', size: '1K', seed: 7 });
    assert.equal(cog.accepted.length, accepted + 1);
    const image = out.image as ArtifactRef;
    assert.deepEqual(served(image), { provider: 'local', chain: [] });
    assert.equal(image.meta?.model, 'flux-fill');
    const input = cog.requestsTo('PUT', /^\/predictions\//).at(-1)!.body.input;
    assert.equal(input.seed, 7);
    assert.match(input.mask, /^data:image\/png;base64,/);
    const mask = out.mask as ArtifactRef;
    const meta = await sharp(await h.get(mask)).metadata();
    assert.deepEqual([meta.width, meta.height], [1024, 768]);
    const stats = await sharp(await h.get(mask)).stats();
    assert.ok(stats.channels[0].max === 255 && stats.channels[0].min === 0, 'the placement mask marks the product and the generated scene');
    const gpu = h.costs.filter((c) => c.kind === 'gpu').at(-1);
    assert.ok(gpu && gpu.usd > 0 && gpu.model === 'flux-fill', 'the Cog server\'s GPU time is reported: the cloud worker measures none');
    assert.match(gpu.detail ?? '', /GPU s on http:\/\/127\.0\.0\.1/);
  });

  it('runs the premium tier on the cloud (Seedream 4)', async () => {
    const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
    assert.equal(replicate.requestsTo('POST', /\/predictions$/).at(-1)!.path, '/v1/models/bytedance/seedream-4/predictions');
    assert.deepEqual(served(out.image as ArtifactRef), { provider: 'cloud', chain: [] });
    assert.equal(out.mask, undefined, 'the cloud does not inpaint: no placement');
    const cloud = h.costs.filter((c) => c.kind === 'cloud').at(-1);
    assert.deepEqual([cloud?.model, cloud?.usd], ['bytedance/seedream-4', 0.03], 'Replicate\'s price is reported by the shared generation code');
  });

  it('sends a burst to the cloud while every local server is busy', async () => {
    cog.behaviour = { ...cog.behaviour, stepMs: 60 };
    const creates = replicate.requestsTo('POST', /\/predictions$/).length;
    const busyAnswers = cog.busyAnswers;
    const outs = await Promise.all([1, 2, 3].map(() => h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }, SMALL)));
    const providers = outs.map((o) => (o.image as ArtifactRef).meta?.sceneProvider).sort();
    assert.deepEqual(providers, ['cloud', 'cloud', 'local'], 'one fills the local server, the burst goes to the cloud');
    assert.equal(replicate.requestsTo('POST', /\/predictions$/).length - creates, 2);
    assert.equal(cog.busyAnswers, busyAnswers, 'the spill-over is decided before asking the busy server');
    assert.deepEqual(sceneProviderBreakers().status().map((s) => s.state), ['closed', 'closed'], 'a busy server is not a failure');
  });

  it('sends a request to the cloud when the Cog server answers 409 (busy with another host\'s prediction), without counting a failure', async () => {
    cog.behaviour = { ...cog.behaviour, stepMs: 100 };
    // Another process's prediction fills the server's only slot: this worker's in-flight count knows nothing of it.
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888888' } }).png().toBuffer();
    const occupied = await fetch(`${cog.origin}/predictions/other-host-1`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
      body: JSON.stringify({ input: { prompt: 'x', image: `data:image/png;base64,${png.toString('base64')}` } }),
    });
    assert.equal(occupied.status, 202);
    const busyAnswers = cog.busyAnswers;
    const localFailures = sceneProviderBreakers().of('local').snapshot().failures;
    try {
      const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }, SMALL);
      assert.deepEqual(served(out.image as ArtifactRef), { provider: 'cloud', chain: ['local skipped'] });
      const steps = (out.image as ArtifactRef).meta?.failover as FailoverStep[];
      assert.match(steps[0].reason ?? '', /busy/);
      assert.equal(cog.busyAnswers - busyAnswers, 1, 'one 409, then the cloud');
      assert.equal(sceneProviderBreakers().of('local').snapshot().failures, localFailures);
    } finally {
      await fetch(`${cog.origin}/predictions/other-host-1/cancel`, { method: 'POST' });
      // The provider counts a server that answered 409 as busy for 2 s: the next tests want it free.
      await new Promise((r) => setTimeout(r, 2_100));
    }
  });

  it('does not fail over on a permanent error (the input is at fault, not the provider)', async () => {
    cog.behaviour = { ...cog.behaviour, outcome: 'failed', error: 'prompt flagged by the safety checker' };
    const creates = replicate.requestsTo('POST', /\/predictions$/).length;
    await rejectsPermanent(h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }), /safety checker/);
    assert.equal(replicate.requestsTo('POST', /\/predictions$/).length, creates);
  });

  it('fails over when Replicate refuses our account (401): the local server serves and the cloud breaker counts it', async () => {
    const token = process.env.REPLICATE_API_TOKEN;
    const before = sceneProviderBreakers().of('cloud').snapshot().failures;
    process.env.REPLICATE_API_TOKEN = 'revoked-token';
    try {
      const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
      assert.deepEqual(served(out.image as ArtifactRef), { provider: 'local', chain: ['cloud failed'] });
      assert.match(((out.image as ArtifactRef).meta?.failover as FailoverStep[])[0].reason ?? '', /refused our account \(401\)/);
      assert.equal(sceneProviderBreakers().of('cloud').snapshot().failures - before, 1);
    } finally {
      process.env.REPLICATE_API_TOKEN = token;
    }
    // A served request closes the run of failures again, so the next test counts its own.
    const back = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
    assert.deepEqual(served(back.image as ArtifactRef), { provider: 'cloud', chain: [] });
  });

  it('hands a premium request to the local server within the same attempt while Replicate is down, and opens the cloud breaker after N failures', async () => {
    replicate.set({ createStatus: 503 });
    const before = sceneProviderBreakers().of('cloud').snapshot();
    for (let i = 0; i < BREAKER_FAILURES; i++) {
      const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
      assert.deepEqual(served(out.image as ArtifactRef), { provider: 'local', chain: ['cloud failed'] });
    }
    const cloud = sceneProviderBreakers().of('cloud').snapshot();
    assert.equal(cloud.state, 'open');
    assert.equal(cloud.failures - before.failures, BREAKER_FAILURES);
    assert.match(cloud.lastFailure ?? '', /503/);

    // Open: the cloud is skipped without a request.
    const creates = replicate.requestsTo('POST', /\/predictions$/).length;
    const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
    assert.deepEqual(served(out.image as ArtifactRef), { provider: 'local', chain: ['cloud skipped'] });
    assert.equal(replicate.requestsTo('POST', /\/predictions$/).length, creates);

    // After the cool-down one trial request goes to the cloud; Replicate is back, so the breaker closes.
    replicate.set({});
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    const back = await h.runNode(generateSceneNode, { cutout, prompt: prompt('premium') }, SMALL);
    assert.deepEqual(served(back.image as ArtifactRef), { provider: 'cloud', chain: [] });
    assert.equal(sceneProviderBreakers().of('cloud').snapshot().state, 'closed');
  });

  it('fails with a retryable error naming every provider when both are down', async () => {
    replicate.set({ createStatus: 500 });
    cog.behaviour = { ...cog.behaviour, defunct: true };
    try {
      const err = await h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }).then(
        () => assert.fail('expected a rejection'),
        (e: Error & { permanent?: boolean }) => e,
      );
      assert.notEqual(err.permanent, true, 'transient: the runtime retries the job');
      assert.match(err.message, /local failed \(.*Cog server.*\); cloud failed \(.*500/);
    } finally {
      cog.behaviour = { ...cog.behaviour, defunct: false };
    }
  });

  it('counts a cloud request past the provider timeout as a failure, cancels its prediction and lets the local server serve', async () => {
    replicate.set({ outcome: 'hang' });
    const breakers = new ProviderBreakers({ failures: 1, cooldownMs: 600_000, timeoutMs: 1_500 });
    const cancels = replicate.requestsTo('POST', /\/cancel$/).length;
    const routed = await routeScene(h.context('timeout'), SCENE_PROVIDERS, breakers, 'auto', {
      cutout,
      prompt: prompt('premium'),
      tier: 'premium',
      aspectRatio: '1:1',
      size: '1K',
      images: 1,
      seed: -1,
    });
    assert.equal(routed.servedBy, 'local');
    assert.deepEqual(routed.chain.map((s) => [s.provider, s.outcome]), [['cloud', 'failed'], ['local', 'served']]);
    assert.match(routed.chain[0].reason ?? '', /timed out after 1500 ms/);
    assert.equal(breakers.of('cloud').snapshot().state, 'open', 'a timeout counts (failures: 1 opens)');
    const end = Date.now() + 10_000;
    while (replicate.requestsTo('POST', /\/cancel$/).length === cancels && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(replicate.requestsTo('POST', /\/cancel$/).length - cancels, 1, 'the abandoned prediction is cancelled, not paid for');
  });

  it('uses only the provider a graph asks for', async () => {
    replicate.set({ createStatus: 503 });
    const accepted = cog.accepted.length;
    await assert.rejects(h.runNode(generateSceneNode, { cutout, prompt: prompt('standard') }, { provider: 'cloud' }), /cloud (failed|skipped)/);
    assert.equal(cog.accepted.length, accepted);
  });
});

describe('generate-scene without providers', () => {
  before(() => {
    for (const k of ENV) delete process.env[k];
  });
  after(restoreEnv);

  it('refuses at placement with how to configure each allowed provider', () => {
    const message = missingProviderMessage('auto');
    assert.match(message ?? '', /cloud: set REPLICATE_API_TOKEN/);
    assert.match(message ?? '', /local: set STUDIOFLOW_COG_MODELS/);
    assert.throws(() => generateSceneNode.placement!({ provider: 'local', tier: 'prompt', aspectRatio: '1:1', size: '2K', images: 1, seed: -1 }), (err: Error) => {
      assert.match(err.message, /STUDIOFLOW_COG_MODELS/);
      assert.doesNotMatch(err.message, /REPLICATE_API_TOKEN/, 'only the provider the params allow');
      return true;
    });
  });

  it('allows the graph once one allowed provider is configured', () => {
    process.env.REPLICATE_API_TOKEN = 'test-token';
    try {
      assert.equal(missingProviderMessage('auto'), undefined);
      assert.match(missingProviderMessage('local') ?? '', /STUDIOFLOW_COG_MODELS/);
    } finally {
      delete process.env.REPLICATE_API_TOKEN;
    }
  });
});
