import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReplicateStandIn } from '../testing/replicate-stand-in';
import { rejectsPermanent } from '../testing/support';
import { downloadOutput, replicateConfig, ReplicateProvider, ReplicateTransientError, retryAfterMs, TokenBucket } from './replicate';
import { signReplicateWebhook, verifyReplicateWebhook, WebhookReplayGuard } from './replicate-webhook';

const MODEL = 'bytedance/seedream-4';
const fastPoll = { firstMs: 50, maxMs: 200 };

describe('Replicate provider against a loopback stand-in', () => {
  let standIn: ReplicateStandIn;
  let provider: ReplicateProvider;
  before(async () => {
    standIn = await ReplicateStandIn.start();
    provider = new ReplicateProvider({ auth: 'test-token', baseUrl: standIn.baseUrl, poll: fastPoll });
  });
  after(() => standIn.close());

  it('creates a prediction with a Cancel-After deadline and polls it through starting and processing to succeeded', async () => {
    // Each status lasts well beyond the longest poll interval, so every one is seen even on a busy machine.
    standIn.set({ stepMs: 500 });
    const seen: string[] = [];
    const prediction = await provider.predict({
      model: MODEL,
      input: { prompt: 'a bottle' },
      cancelAfterMs: 90_000,
      signal: new AbortController().signal,
      onStatus: (p) => seen.push(p.status),
    });
    assert.equal(prediction.status, 'succeeded');
    assert.equal(prediction.metrics?.predict_time, 3.21);
    assert.equal((prediction.output as string[]).length, 1);
    assert.deepEqual([...new Set(seen)], ['starting', 'processing', 'succeeded']);
    const create = standIn.requestsTo('POST', /\/predictions$/).at(-1)!;
    assert.equal(create.path, '/v1/models/bytedance/seedream-4/predictions');
    assert.equal(create.headers['cancel-after'], '90s');
    assert.deepEqual(create.body.input, { prompt: 'a bottle' });
  });

  it('asks Replicate to post the finished prediction to a webhook in webhook mode', async () => {
    standIn.set({});
    await provider.predict({ model: MODEL, input: { prompt: 'x' }, webhook: 'https://studio.example/api/webhooks/replicate', signal: new AbortController().signal });
    const body = standIn.requestsTo('POST', /\/predictions$/).at(-1)!.body;
    assert.equal(body.webhook, 'https://studio.example/api/webhooks/replicate');
    assert.deepEqual(body.webhook_events_filter, ['completed']);
  });

  it('waits what Retry-After asks on a 429 instead of hammering the create endpoint', async () => {
    standIn.set({ throttle: 1, retryAfter: '1' });
    const before = standIn.requestsTo('POST', /\/predictions$/).length;
    const started = Date.now();
    const prediction = await provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: new AbortController().signal });
    const creates = standIn.requestsTo('POST', /\/predictions$/).slice(before);
    assert.equal(prediction.status, 'succeeded');
    assert.equal(creates.length, 2, 'one throttled create, one accepted');
    const gap = creates[1].at - creates[0].at;
    assert.ok(gap >= 900, `waited ${gap} ms between the creates`);
    assert.ok(Date.now() - started < 5_000);
  });

  it('ends the wait on aborted, a status the client would wait on forever', async () => {
    standIn.set({ outcome: 'aborted', stepMs: 80 });
    const prediction = await provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: AbortSignal.timeout(5_000) });
    assert.equal(prediction.status, 'aborted');
  });

  it('returns a failed prediction with its error for the node to report', async () => {
    standIn.set({ outcome: 'failed' });
    const prediction = await provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: new AbortController().signal });
    assert.equal(prediction.status, 'failed');
    assert.match(String(prediction.error), /E001/);
  });

  it('cancels the remote prediction when the job is aborted', async () => {
    standIn.set({ outcome: 'hang' });
    const controller = new AbortController();
    const running = provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(running);
    const cancels = standIn.requestsTo('POST', /\/cancel$/);
    assert.equal(cancels.length, 1);
    const id = /predictions\/(\w+)\/cancel/.exec(cancels[0].path)![1];
    assert.ok(standIn.requestsTo('GET', new RegExp(`/predictions/${id}$`)).length > 0, 'the cancelled prediction is the one being polled');
  });

  it('keeps polling through a passing run of server errors instead of abandoning the prediction', async () => {
    // The client retries a failed GET five times at once, so eight 500s fail one of our polls and the next two GETs.
    standIn.set({ pollErrors: 8 });
    const cancelsBefore = standIn.requestsTo('POST', /\/cancel$/).length;
    const prediction = await provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: AbortSignal.timeout(10_000) });
    assert.equal(prediction.status, 'succeeded');
    assert.equal(standIn.requestsTo('POST', /\/cancel$/).length, cancelsBefore);
  });

  it('gives a prediction up, and cancels it, when polling keeps failing', async () => {
    standIn.set({ pollErrors: 1_000 });
    const cancelsBefore = standIn.requestsTo('POST', /\/cancel$/).length;
    await assert.rejects(provider.predict({ model: MODEL, input: { prompt: 'x' }, signal: AbortSignal.timeout(10_000) }), (err: Error) => err instanceof ReplicateTransientError && /answered 500/.test(err.message));
    assert.equal(standIn.requestsTo('POST', /\/cancel$/).length - cancelsBefore, 1);
  });

  it('refuses a rejected token as a permanent error that says what Replicate answered', async () => {
    const wrong = new ReplicateProvider({ auth: 'wrong', baseUrl: standIn.baseUrl, poll: fastPoll });
    standIn.set({});
    await rejectsPermanent(wrong.predict({ model: MODEL, input: { prompt: 'x' }, signal: new AbortController().signal }), /refused our account \(401\): Invalid token/);
  });

  it('downloads an output image, and fails clearly on a missing file, a server error or a non-image', async () => {
    const signal = new AbortController().signal;
    standIn.set({ output: 'png' });
    const { bytes, contentType } = await downloadOutput(`${standIn.origin}/files/a.png`, fetch, { maxBytes: 1 << 20, signal });
    assert.equal(contentType, 'image/png');
    assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    await rejectsPermanent(downloadOutput(`${standIn.origin}/files/a.png`, fetch, { maxBytes: 100, signal }), /over the 100-byte limit/);
    standIn.set({ output: 'missing' });
    await rejectsPermanent(downloadOutput(`${standIn.origin}/files/a.png`, fetch, { maxBytes: 1 << 20, signal }), /HTTP 404.*expire/);
    standIn.set({ output: 'text' });
    await rejectsPermanent(downloadOutput(`${standIn.origin}/files/a.png`, fetch, { maxBytes: 1 << 20, signal }), /not an image \(content type "text\/html"\)/);
    standIn.set({ output: 'server-error' });
    const before = standIn.requestsTo('GET', /^\/files\//).length;
    await assert.rejects(downloadOutput(`${standIn.origin}/files/a.png`, fetch, { maxBytes: 1 << 20, signal, attempts: 2 }), ReplicateTransientError);
    assert.equal(standIn.requestsTo('GET', /^\/files\//).length - before, 2, 'a server error is retried');
  });
});

describe('Replicate provider pieces', () => {
  it('reads the token and base URL from the environment, and nothing without a token', () => {
    assert.equal(replicateConfig({}), undefined);
    assert.equal(replicateConfig({ REPLICATE_API_TOKEN: '  ' }), undefined);
    assert.deepEqual(replicateConfig({ REPLICATE_API_TOKEN: 'r8_x' }), { token: 'r8_x', baseUrl: 'https://api.replicate.com/v1' });
    assert.equal(replicateConfig({ REPLICATE_API_TOKEN: 'r8_x', REPLICATE_BASE_URL: 'http://127.0.0.1:9/v1' })?.baseUrl, 'http://127.0.0.1:9/v1');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(null), 1000);
    const now = Date.parse('2026-12-02T18:00:00Z');
    assert.equal(retryAfterMs('Wed, 02 Dec 2026 18:00:03 GMT', now), 3000);
  });

  it('holds creates beyond the bucket until a token is refilled', async () => {
    const bucket = new TokenBucket(2, 2 / 1000);
    const started = Date.now();
    await bucket.take();
    await bucket.take();
    assert.ok(Date.now() - started < 100, 'the first two pass at once');
    await bucket.take();
    const waited = Date.now() - started;
    assert.ok(waited >= 400 && waited < 2_000, `the third waited ${waited} ms`);
  });
});

describe('Replicate webhook verification', () => {
  const secret = `whsec_${Buffer.from('a webhook signing key of 32 byte').toString('base64')}`;
  const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: ['https://replicate.delivery/x.png'] });
  const now = Date.parse('2026-12-02T18:00:00Z');
  const seconds = Math.floor(now / 1000);

  it('accepts a correctly signed, fresh webhook once and refuses its replay', () => {
    const guard = new WebhookReplayGuard();
    const headers = signReplicateWebhook('msg_1', seconds - 10, body, secret);
    assert.deepEqual(verifyReplicateWebhook(headers, body, secret, now, guard), { ok: true, id: 'msg_1' });
    const replay = verifyReplicateWebhook(headers, body, secret, now + 1000, guard);
    assert.equal(replay.ok, false);
    assert.match((replay as { reason: string }).reason, /already delivered/);
  });

  it('accepts a signature list where one entry matches', () => {
    const headers = signReplicateWebhook('msg_2', seconds, body, secret);
    headers['webhook-signature'] = `v1,AAAA ${headers['webhook-signature']}`;
    assert.equal(verifyReplicateWebhook(headers, Buffer.from(body), secret, now).ok, true);
  });

  it('refuses a forged signature, an altered body and a wrong secret', () => {
    const headers = signReplicateWebhook('msg_3', seconds, body, secret);
    const forged = { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}` };
    assert.match((verifyReplicateWebhook(forged, body, secret, now) as { reason: string }).reason, /no webhook-signature matches/);
    assert.equal(verifyReplicateWebhook(headers, body.replace('succeeded', 'failed'), secret, now).ok, false);
    const other = `whsec_${Buffer.from('another key entirely, 32 bytes!!').toString('base64')}`;
    assert.equal(verifyReplicateWebhook(headers, body, other, now).ok, false);
  });

  it('refuses a webhook older than five minutes even with a good signature, and one without headers', () => {
    const stale = signReplicateWebhook('msg_4', seconds - 301, body, secret);
    assert.match((verifyReplicateWebhook(stale, body, secret, now) as { reason: string }).reason, /five-minute window/);
    assert.equal(verifyReplicateWebhook(signReplicateWebhook('msg_5', seconds - 299, body, secret), body, secret, now).ok, true);
    assert.match((verifyReplicateWebhook({}, body, secret, now) as { reason: string }).reason, /missing/);
  });

  it('forgets accepted ids once they are older than the window', () => {
    const guard = new WebhookReplayGuard(1000);
    assert.equal(guard.accept('a', 0), true);
    assert.equal(guard.accept('a', 500), false);
    assert.equal(guard.accept('b', 1500), true);
    assert.equal(guard.accept('a', 1600), true);
  });
});
