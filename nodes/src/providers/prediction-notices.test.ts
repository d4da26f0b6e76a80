import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import IORedis, { type Redis } from 'ioredis';
import { hashTaggedPrefix, serviceEnv } from '@studioflow/runtime/config';
import { ReplicateStandIn, STAND_IN_WEBHOOK_SECRET } from '../testing/replicate-stand-in';
import { publishPrediction, RedisPredictionNotices } from './prediction-notices';
import { ReplicateProvider } from './replicate';
import { verifyReplicateWebhook } from './replicate-webhook';

/**
 * The webhook path end to end with real Redis: the stand-in posts the signed, finished prediction to a
 * loopback receiver that verifies it and publishes it as the API does; the waiting provider takes it.
 */
describe('Replicate webhooks end the wait for a prediction', () => {
  const { redisUrl } = serviceEnv();
  const prefix = hashTaggedPrefix(`sftest-notices-${randomBytes(4).toString('hex')}`);
  let standIn: ReplicateStandIn;
  let publisher: Redis;
  let notices: RedisPredictionNotices;
  let receiver: Server;
  let receiverUrl: string;
  const verdicts: string[] = [];

  before(async () => {
    standIn = await ReplicateStandIn.start();
    publisher = new IORedis(redisUrl, { maxRetriesPerRequest: null });
    notices = new RedisPredictionNotices(redisUrl, prefix);
    await notices.ready();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const verdict = verifyReplicateWebhook(req.headers, raw, STAND_IN_WEBHOOK_SECRET, Date.now());
        verdicts.push(verdict.ok ? 'ok' : verdict.reason);
        if (!verdict.ok) return void res.writeHead(401).end();
        void publishPrediction(publisher, prefix, JSON.parse(raw.toString('utf8'))).then(() => res.writeHead(200).end());
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/replicate`;
  });
  after(async () => {
    notices.close();
    publisher.disconnect();
    await new Promise((resolve) => receiver.close(resolve));
    await standIn.close();
  });

  it('a webhook delivery ends the wait before the next poll', async () => {
    standIn.set({ stepMs: 50, outputs: 2 });
    // The first poll would come after two minutes: only the webhook can end this wait in time.
    const provider = new ReplicateProvider({ auth: 'test-token', baseUrl: standIn.baseUrl, poll: { firstMs: 120_000, maxMs: 120_000 }, notices });
    const prediction = await provider.predict({
      model: 'bytedance/seedream-4',
      input: { prompt: 'a bottle on marble' },
      webhook: receiverUrl,
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(prediction.status, 'succeeded');
    assert.equal((prediction.output as string[]).length, 2);
    assert.equal(standIn.requestsTo('GET', /\/predictions\//).length, 0, 'no status poll was needed');
    const create = standIn.requestsTo('POST', /\/predictions$/).at(-1)!;
    assert.equal(create.body.webhook, receiverUrl);
    assert.deepEqual(create.body.webhook_events_filter, ['completed']);
    // The provider may wake before the receiver's answer reaches the stand-in.
    for (const end = Date.now() + 30_000; standIn.webhooks.length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(standIn.webhooks.map((w) => [w.predictionId, w.status]), [[prediction.id, 200]]);
    assert.deepEqual(verdicts, ['ok']);
  });

  it('without a delivery the provider still finishes by polling', async () => {
    standIn.set({ stepMs: 20 });
    const provider = new ReplicateProvider({ auth: 'test-token', baseUrl: standIn.baseUrl, poll: { firstMs: 50, maxMs: 100 }, notices });
    const polls = standIn.requestsTo('GET', /\/predictions\//).length;
    // No webhook asked for: nothing is published, the subscription waits in vain and polling answers.
    const prediction = await provider.predict({ model: 'bytedance/seedream-4', input: { prompt: 'x' }, signal: AbortSignal.timeout(60_000) });
    assert.equal(prediction.status, 'succeeded');
    assert.ok(standIn.requestsTo('GET', /\/predictions\//).length > polls, 'it polled');
  });
});
