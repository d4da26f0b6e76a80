import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisPredictionNotices } from '@studioflow/nodes';
import { signReplicateWebhook, STAND_IN_WEBHOOK_SECRET } from '@studioflow/nodes/testing';
import { deadline, sql, startTestApp, type TestApp } from './support/test-app';

// POST /api/webhooks/replicate against the real API, PostgreSQL and Redis: what it accepts is
// published for the waiting job; forged, stale and replayed deliveries are not.
let t: TestApp;
let notices: RedisPredictionNotices;
const saved = process.env.REPLICATE_WEBHOOK_SECRET;

before(async () => {
  process.env.REPLICATE_WEBHOOK_SECRET = STAND_IN_WEBHOOK_SECRET;
  t = await startTestApp('webhook', { workers: 0 });
  notices = new RedisPredictionNotices(t.config.redisUrl, t.config.queuePrefix);
  await notices.ready();
});
after(async () => {
  if (saved === undefined) delete process.env.REPLICATE_WEBHOOK_SECRET;
  else process.env.REPLICATE_WEBHOOK_SECRET = saved;
  notices?.close();
  await t?.stop();
});

const prediction = (id: string) => JSON.stringify({ id, status: 'succeeded', output: [`https://replicate.delivery/${id}.png`], metrics: { predict_time: 2.5 } });
const now = () => Math.floor(Date.now() / 1000);

function post(body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return fetch(`${t.baseUrl}/api/webhooks/replicate`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body }).then(async (res) => ({
    status: res.status,
    body: await res.json().catch(() => null),
  }));
}

/** Everything announced for `id` from now on. */
function announced(id: string): { received: unknown[]; next: Promise<unknown> } {
  const received: unknown[] = [];
  let resolve!: (p: unknown) => void;
  const next = new Promise((r) => (resolve = r));
  notices.subscribe(id, (p) => {
    received.push(p);
    resolve(p);
  });
  return { received, next };
}

test('a signed webhook is accepted once and published; its replay is answered 200 and ignored', async () => {
  const first = announced('pred-one');
  const body = prediction('pred-one');
  // The exact bytes matter: a space Replicate sent is part of what it signed.
  const headers = signReplicateWebhook('msg_one', now(), body, STAND_IN_WEBHOOK_SECRET);
  const accepted = await post(body, headers);
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.deepEqual(accepted.body, { accepted: true, predictionId: 'pred-one' });
  const got = (await Promise.race([first.next, deadline(30_000, 'the prediction was not published')])) as { id: string; status: string };
  assert.deepEqual([got.id, got.status], ['pred-one', 'succeeded']);

  const replay = await post(body, headers);
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body, { accepted: false, reason: 'replayed' });
  // Redis delivers a channel's messages in order: once a later delivery arrives, a published replay would have too.
  const second = announced('pred-two');
  const body2 = prediction('pred-two');
  assert.equal((await post(body2, signReplicateWebhook('msg_two', now(), body2, STAND_IN_WEBHOOK_SECRET))).status, 200);
  await Promise.race([second.next, deadline(30_000, 'the second prediction was not published')]);
  assert.equal(first.received.length, 1, 'the replay was not published');
  const rows = await sql(t, `SELECT delivery_id FROM webhook_deliveries WHERE provider = 'replicate' ORDER BY delivery_id`);
  assert.deepEqual(rows.map((r) => r.delivery_id), ['msg_one', 'msg_two']);

  // Rows older than the window guard nothing: the next accepted delivery prunes them.
  await sql(t, `UPDATE webhook_deliveries SET received_at = now() - interval '2 hours' WHERE delivery_id = 'msg_one'`);
  const body3 = prediction('pred-three');
  assert.equal((await post(body3, signReplicateWebhook('msg_three', now(), body3, STAND_IN_WEBHOOK_SECRET))).status, 200);
  const left = await sql(t, `SELECT delivery_id FROM webhook_deliveries ORDER BY delivery_id`);
  assert.deepEqual(left.map((r) => r.delivery_id), ['msg_three', 'msg_two']);
});

test('forged, tampered, unsigned and stale webhooks are refused with 401 and leave no trace', async () => {
  const body = prediction('pred-forged');
  const otherSecret = `whsec_${Buffer.from('not-the-secret').toString('base64')}`;
  const forged = await post(body, signReplicateWebhook('msg_forged', now(), body, otherSecret));
  assert.equal(forged.status, 401);
  const signed = signReplicateWebhook('msg_tampered', now(), body, STAND_IN_WEBHOOK_SECRET);
  const tampered = await post(body.replace('succeeded', 'failed'), signed);
  assert.equal(tampered.status, 401);
  assert.equal((await post(body, {})).status, 401);
  const stale = await post(body, signReplicateWebhook('msg_stale', now() - 6 * 60, body, STAND_IN_WEBHOOK_SECRET));
  assert.equal(stale.status, 401);
  assert.match(JSON.stringify(stale.body), /five-minute/);
  const rows = await sql(t, `SELECT delivery_id FROM webhook_deliveries WHERE delivery_id IN ('msg_forged', 'msg_tampered', 'msg_stale')`);
  assert.deepEqual(rows, []);
});

test('the OpenAPI document lists the webhook and the cost sums', async () => {
  const res = await fetch(`${t.baseUrl}/api/docs-json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
  assert.ok(doc.paths['/api/v1/webhooks/replicate']?.post, 'webhook route documented');
  assert.deepEqual(doc.paths['/api/v1/costs']?.get?.parameters?.map((p) => p.name).sort(), ['from', 'groupBy', 'to']);
});
