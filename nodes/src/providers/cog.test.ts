import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CogStandIn } from '../testing/cog-stand-in';
import { rejectsPermanent } from '../testing/support';
import { CogClient, CogUnavailableError, CogWebhookReceiver, cogOutputFiles, lastProgress, readCogFile } from './cog';

const fastBusy = { firstMs: 20, maxMs: 200 };
const never = () => new AbortController().signal;

async function fillInput(seed = 1, steps = 6): Promise<Record<string, unknown>> {
  const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } }).png().toBuffer();
  const mask = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#ffffff' } }).png().toBuffer();
  return {
    prompt: 'a bottle on a marble table',
    image: `data:image/png;base64,${image.toString('base64')}`,
    mask: `data:image/png;base64,${mask.toString('base64')}`,
    num_inference_steps: steps,
    guidance: 30,
    seed,
  };
}

describe('Cog client against a loopback Cog stand-in', () => {
  let receiver: CogWebhookReceiver;
  before(async () => {
    receiver = await CogWebhookReceiver.start();
  });
  after(() => receiver.close());
  const client = (standIn: CogStandIn) => new CogClient({ baseUrl: standIn.origin, receiver, busyBackoff: fastBusy, healthEveryMs: 200 });

  it('runs an async prediction (PUT, respond-async, webhook) and reports every denoising step from the logs', async () => {
    const standIn = await CogStandIn.start();
    try {
      const steps: Array<[number, number]> = [];
      const prediction = await client(standIn).predict(await fillInput(), { signal: never(), onProgress: (s, t) => steps.push([s, t]), id: 'pred-one' });
      assert.equal(prediction.status, 'succeeded');
      assert.ok((prediction.metrics?.predict_time ?? 0) > 0);
      const [file] = cogOutputFiles(prediction);
      assert.match(file, /^data:image\/png;base64,/);
      assert.equal((await sharp(await readCogFile(file, fetch, never())).metadata()).width, 64);
      assert.deepEqual(steps.map(([s]) => s), [1, 2, 3, 4, 5, 6], 'a progress report per step');
      assert.ok(steps.every(([, t]) => t === 6));
      const put = standIn.requestsTo('PUT', /^\/predictions\/pred-one$/)[0];
      assert.equal(put.headers.prefer, 'respond-async');
      assert.equal(put.body.id, 'pred-one');
      assert.match(put.body.webhook, /^http:\/\/127\.0\.0\.1:\d+\/cog-webhooks\/[0-9a-f]{32}\/pred-one$/);
      assert.deepEqual(put.body.webhook_events_filter, ['start', 'logs', 'completed']);
    } finally {
      await standIn.close();
    }
  });

  it('waits out 409 (every slot busy) with backoff: two predictions on a one-slot server both succeed', async () => {
    const standIn = await CogStandIn.start({ behaviour: { stepMs: 40 } });
    try {
      const c = client(standIn);
      let waits = 0;
      const results = await Promise.all([1, 2].map(async (seed) => c.predict(await fillInput(seed), { signal: never(), onBusy: () => waits++ })));
      assert.deepEqual(results.map((p) => p.status), ['succeeded', 'succeeded']);
      assert.ok(standIn.busyAnswers >= 1, 'the second one met a 409');
      assert.equal(waits, standIn.busyAnswers, 'each 409 was a wait, none an error');
      assert.equal(standIn.accepted.length, 2);
    } finally {
      await standIn.close();
    }
  });

  it('a 422 is permanent with Cog\'s validation words; a failed prediction (HTTP 200, status failed) is permanent with its error', async () => {
    const standIn = await CogStandIn.start();
    try {
      const c = client(standIn);
      const { prompt: _prompt, ...noPrompt } = await fillInput();
      await rejectsPermanent(c.predict({ ...noPrompt, num_inference_steps: 'many' }, { signal: never() }), /refused the input: prompt: Field required; num_inference_steps: Input should be a valid integer/);
      standIn.behaviour.outcome = 'failed';
      await rejectsPermanent(c.predict(await fillInput(), { signal: never() }), /Cog prediction \w+ on http:\/\/127\.0\.0\.1:\d+ failed: CUDA out of memory/);
      assert.equal(standIn.canceled.length, 0, 'a prediction that ended is not cancelled');
    } finally {
      await standIn.close();
    }
  });

  it('aborting cancels the remote prediction (POST /predictions/{id}/cancel) and rejects with the abort reason', async () => {
    const standIn = await CogStandIn.start({ behaviour: { stepMs: 100 } });
    try {
      const abort = new AbortController();
      const seen: number[] = [];
      const running = client(standIn).predict(await fillInput(1, 40), {
        signal: abort.signal,
        id: 'to-cancel',
        onProgress: (step) => {
          seen.push(step);
          if (step === 2) abort.abort(new Error('run cancelled'));
        },
      });
      await assert.rejects(running, /run cancelled/);
      assert.deepEqual(standIn.canceled, ['to-cancel']);
      assert.equal(standIn.requestsTo('POST', /^\/predictions\/to-cancel\/cancel$/).length, 1);
    } finally {
      await standIn.close();
    }
  });

  it('SETUP_FAILED is a permanent error naming the server; an unreachable or DEFUNCT server is CogUnavailableError', async () => {
    const failed = await CogStandIn.start({ setupFails: true });
    try {
      await rejectsPermanent(client(failed).waitUntilReady({ timeoutMs: 2_000, pollMs: 50 }), /Cog server http:\/\/127\.0\.0\.1:\d+ failed its setup \(SETUP_FAILED\).*no such file/);
      await rejectsPermanent(client(failed).predict(await fillInput(), { signal: never() }), /SETUP_FAILED/);
    } finally {
      await failed.close();
    }
    const starting = await CogStandIn.start({ setupMs: 300 });
    try {
      const health = await client(starting).waitUntilReady({ timeoutMs: 10_000, pollMs: 50 });
      assert.equal(health.status, 'READY');
      starting.behaviour.defunct = true;
      await assert.rejects(client(starting).waitUntilReady({ timeoutMs: 1_000, pollMs: 50 }), (err) => err instanceof CogUnavailableError && /DEFUNCT/.test(err.message));
    } finally {
      await starting.close();
    }
    const gone = new CogClient({ baseUrl: starting.origin, receiver });
    await assert.rejects(gone.predict(await fillInput(), { signal: never() }), (err) => err instanceof CogUnavailableError && /unreachable: ECONNREFUSED/.test(err.message));
  });

  it('a prediction whose server dies mid-run fails as CogUnavailableError instead of waiting for a webhook that never comes', async () => {
    const standIn = await CogStandIn.start({ behaviour: { stepMs: 100 } });
    const running = client(standIn).predict(await fillInput(1, 40), { signal: never() });
    await new Promise((r) => setTimeout(r, 300));
    standIn.behaviour.defunct = true;
    await assert.rejects(running, (err) => err instanceof CogUnavailableError && /became DEFUNCT/.test(err.message));
    await standIn.close();
  });

  it('parses the last tqdm step from logs', () => {
    assert.deepEqual(lastProgress('  5%|▌         | 1/20 [00:00<00:04,  4.50it/s]\n 45%|████▌     | 9/20 [00:02<00:02,  4.50it/s]\n'), { step: 9, total: 20 });
    assert.equal(lastProgress('Loading weights\n'), null);
  });
});
