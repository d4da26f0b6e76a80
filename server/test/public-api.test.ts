import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { createStudioflowClient, verifyWebhook, type StudioflowClient } from '../src/client';
import { CLIENT_SCHEMA_PATH, clientSchemaSource } from '../src/client/generate';
import { signedIn } from './support/session-client';
import { api, sql as sqlOn, startTestApp, type TestApp } from './support/test-app';

// The self-serve REST API (issue 13): uploads, shoots with Idempotency-Key and cursor pages, rate
// limits, outgoing webhooks, the OpenAPI document and the typed client generated from it.
const CREATE_LIMIT = 60;
process.env.RATE_LIMIT_CREATE_PER_MINUTE = String(CREATE_LIMIT);
process.env.WEBHOOK_ALLOW_LOOPBACK = '1';
process.env.WEBHOOK_BACKOFF_MS = '300';
process.env.WEBHOOK_TIMEOUT_MS = '1500';
process.env.WEBHOOK_SWEEP_EVERY_MS = '1000';

let t: TestApp;
const keys = { aStaff: '', aReviewer: '', aUser: '', aUser2: '', bStaff: '', bUser: '' };
let aUser: StudioflowClient;
let bUser: StudioflowClient;
let photo: Buffer;
let tenantA = '';

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);

async function addUser(tenantId: string, email: string, role: string): Promise<string> {
  const [u] = await sql(`INSERT INTO users (tenant_id, email, role) VALUES ($1, $2, $3) RETURNING id`, [tenantId, email, role]);
  const key = `sf_test_${email.replace(/\W/g, '_')}`;
  await sql(`INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [u.id, tenantId, createHash('sha256').update(key).digest('hex')]);
  return key;
}

function photoForm(fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function balance(tenantId: string): Promise<number> {
  return (await sql(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]))[0].credit_balance;
}

async function upload(key: string): Promise<string> {
  const res = await api(t, '/api/v1/uploads', { method: 'POST', key, body: photoForm() });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

function createShoot(key: string, body: unknown, idempotencyKey?: string) {
  return api(t, '/api/v1/shoots', {
    method: 'POST',
    key,
    body: JSON.stringify(body),
    headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  // No worker yet: shoots stay queued (and are cancelled) until the webhook tests start one.
  t = await startTestApp('publicapi', { workers: 0 });
  const [a] = await sql(`SELECT id FROM tenants WHERE name = 'Demo studio'`);
  tenantA = a.id;
  const [b] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival shop', 500) RETURNING id`);
  keys.aStaff = t.staffKey;
  keys.aReviewer = t.config.devKeys.reviewer;
  keys.aUser = t.userKey;
  keys.aUser2 = await addUser(a.id, 'second-seller@a.test', 'end_user');
  keys.bStaff = await addUser(b.id, 'staff@b.test', 'staff');
  keys.bUser = await addUser(b.id, 'seller@b.test', 'end_user');
  aUser = createStudioflowClient(t.baseUrl, keys.aUser);
  bUser = createStudioflowClient(t.baseUrl, keys.bUser);
  photo = (await makeProductPhoto({ seed: 11, width: 640, height: 480 })).jpeg;
});

after(async () => t?.stop());

test('an upload is named by id when creating a shoot; other tenants and sellers cannot use it (404), reviewers cannot upload (403)', async () => {
  const uploadId = await upload(keys.aUser);
  assert.equal((await api(t, '/api/v1/uploads', { method: 'POST', key: keys.aReviewer, body: photoForm() })).status, 403);
  assert.equal((await fetch(`${t.baseUrl}/api/v1/uploads`, { method: 'POST', body: photoForm() })).status, 401);
  assert.equal((await createShoot(keys.bUser, { templateId: 'white-studio', uploadId })).status, 404, "another tenant's upload");
  assert.equal((await createShoot(keys.aUser2, { templateId: 'white-studio', uploadId })).status, 404, "another seller's upload");
  assert.equal((await createShoot(keys.aUser, { templateId: 'white-studio', uploadId: randomUUID() })).status, 404);
  const bad = await createShoot(keys.aUser, { templateId: 'white-studio', uploadId: 'not-an-id' });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));

  const before = await balance(tenantA);
  const { data, response } = await aUser.POST('/api/v1/shoots', { body: { templateId: 'white-studio', uploadId } });
  assert.equal(response.status, 202);
  assert.equal(await balance(tenantA), before - 1, 'charged once');
  const shoot = await aUser.GET('/api/v1/shoots/{id}', { params: { path: { id: data!.id } } });
  assert.ok(['queued', 'running'].includes(shoot.data!.status), shoot.data!.status);
  assert.equal((await api(t, `/api/v1/shoots/${data!.id}`, { key: keys.bStaff })).status, 404, "another tenant's shoot");
  assert.equal((await api(t, `/api/v1/shoots/${data!.id}`, { key: keys.aUser2 })).status, 404, "another seller's shoot");
  assert.equal((await api(t, `/api/v1/shoots/${data!.id}`, { key: keys.aStaff })).status, 200, 'staff of the tenant');
  assert.equal((await api(t, `/api/v1/shoots/${data!.id}/cancel`, { method: 'POST', key: keys.bUser })).status, 404);
  const cancelled = await api(t, `/api/v1/shoots/${data!.id}/cancel`, { method: 'POST', key: keys.aUser });
  assert.deepEqual([cancelled.status, cancelled.body.cancelled], [202, true]);
  assert.equal((await api(t, `/api/v1/shoots/${data!.id}/cancel`, { method: 'POST', key: keys.aUser })).status, 409, 'already cancelled');
});

test('Idempotency-Key: the same request answers the same shoot (200, charged once), another request with the key 409, concurrent repeats one shoot', async () => {
  const uploadId = await upload(keys.aUser);
  const body = { templateId: 'white-studio', uploadId, params: { 'composite.fill': 0.8 } };
  const before = await balance(tenantA);
  const first = await createShoot(keys.aUser, body, 'order-1001');
  assert.equal(first.status, 202, JSON.stringify(first.body));
  // Same request, keys of the params object in another order: the same request.
  const again = await createShoot(keys.aUser, { params: { 'composite.fill': 0.8 }, uploadId, templateId: 'white-studio' }, 'order-1001');
  assert.equal(again.status, 200);
  assert.equal(again.body.id, first.body.id);
  const other = await createShoot(keys.aUser, { ...body, params: { 'composite.fill': 0.7 } }, 'order-1001');
  assert.equal(other.status, 409, JSON.stringify(other.body));
  assert.match(other.body.message, /already used for another request/);
  const multipart = await api(t, '/api/v1/shoots', { method: 'POST', key: keys.aUser, body: photoForm({ templateId: 'white-studio' }), headers: { 'Idempotency-Key': 'order-1001' } });
  assert.equal(multipart.status, 409, 'the photo sent again instead of the upload id is another request');
  assert.equal(await balance(tenantA), before - 1, 'one charge for the key');

  // Multipart repeats of the same photo are the same request too.
  const m1 = await api(t, '/api/v1/shoots', { method: 'POST', key: keys.aUser, body: photoForm({ templateId: 'white-studio' }), headers: { 'Idempotency-Key': 'order-1002' } });
  const m2 = await api(t, '/api/v1/shoots', { method: 'POST', key: keys.aUser, body: photoForm({ templateId: 'white-studio' }), headers: { 'Idempotency-Key': 'order-1002' } });
  assert.deepEqual([m1.status, m2.status, m2.body.id], [202, 200, m1.body.id]);

  const beforeBurst = await balance(tenantA);
  const burst = await Promise.all(Array.from({ length: 6 }, () => createShoot(keys.aUser, body, 'order-1003')));
  assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 202], JSON.stringify(burst.map((r) => r.body)));
  assert.equal(new Set(burst.map((r) => r.body.id)).size, 1, 'one shoot');
  assert.equal((await sql(`SELECT count(*)::int AS n FROM runs WHERE idempotency_key = 'order-1003'`))[0].n, 1);
  assert.equal(await balance(tenantA), beforeBurst - 1, 'charged once');
  // Keys are per tenant: another seller of the shop reusing one gets 409, never the first seller's shoot.
  const seller2Upload = await upload(keys.aUser2);
  const reused = await createShoot(keys.aUser2, { templateId: 'white-studio', uploadId: seller2Upload }, 'order-1001');
  assert.equal(reused.status, 409);
  // The same key in another tenant is another shoot.
  const bUpload = await upload(keys.bUser);
  const inB = await createShoot(keys.bUser, { templateId: 'white-studio', uploadId: bUpload }, 'order-1001');
  assert.equal(inB.status, 202);
  assert.notEqual(inB.body.id, first.body.id);
  for (const id of [first.body.id, m1.body.id, burst[0].body.id]) await api(t, `/api/v1/shoots/${id}/cancel`, { method: 'POST', key: keys.aUser });
  await api(t, `/api/v1/shoots/${inB.body.id}/cancel`, { method: 'POST', key: keys.bUser });
});

test('cursor pagination walks every shoot exactly once, ties in created_at included, and sees only the caller\'s shoots', async () => {
  const uploadId = await upload(keys.bUser);
  const made: string[] = [];
  for (let i = 0; i < 11; i++) {
    const { data, response } = await bUser.POST('/api/v1/shoots', { body: { templateId: 'white-studio', uploadId } });
    assert.equal(response.status, 202);
    made.push(data!.id);
  }
  for (const id of made) await api(t, `/api/v1/shoots/${id}/cancel`, { method: 'POST', key: keys.bUser });
  // Five shoots created in the same microsecond: the id breaks the tie.
  await sql(`UPDATE runs SET created_at = (SELECT created_at FROM runs WHERE id = $1) WHERE id = ANY($2::uuid[])`, [made[3], made.slice(3, 8)]);
  const all = (await sql(`SELECT id FROM runs WHERE user_id = (SELECT user_id FROM api_keys WHERE key_hash = $1)`, [createHash('sha256').update(keys.bUser).digest('hex')])).map((r) => r.id);

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, response } = await bUser.GET('/api/v1/shoots', { params: { query: { limit: 4, ...(cursor ? { cursor } : {}) } } });
    assert.equal(response.status, 200);
    assert.ok(data!.items.length <= 4);
    seen.push(...data!.items.map((s) => s.id));
    cursor = data!.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < 20);
  assert.equal(seen.length, new Set(seen).size, 'no shoot twice');
  assert.deepEqual([...seen].sort(), [...all].sort(), 'every shoot of the seller, and only theirs');
  assert.ok(pages >= 3);
  const bad = await api(t, '/api/v1/shoots?cursor=bm90LWEtY3Vyc29y', { key: keys.bUser });
  assert.equal(bad.status, 400);
  const legacy = await api(t, '/api/shoots?limit=3', { key: keys.bUser });
  assert.ok(Array.isArray(legacy.body) && legacy.body.length === 3, 'the unversioned list keeps its array');
});

test('rate limits: a key past its create budget answers 429 with Retry-After; other keys and reads are not affected', async () => {
  const created = await api(t, '/api/v1/keys', { method: 'POST', key: keys.aUser2, body: JSON.stringify({ label: 'burst' }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const key = created.body.key as string;
  let last: Response | undefined;
  const remaining: number[] = [];
  for (let i = 0; i < CREATE_LIMIT; i++) {
    last = await fetch(`${t.baseUrl}/api/v1/shoots/${randomUUID()}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
    assert.equal(last.status, 404);
    remaining.push(Number(last.headers.get('ratelimit-remaining')));
  }
  assert.equal(last!.headers.get('ratelimit-limit'), String(CREATE_LIMIT));
  assert.equal(remaining.at(-1), 0);
  assert.ok(remaining[0] > remaining.at(-1)!);
  const over = await fetch(`${t.baseUrl}/api/v1/shoots/${randomUUID()}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
  assert.equal(over.status, 429);
  const retryAfter = Number(over.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.match(((await over.json()) as { message: string }).message, /rate limit/);
  const upload = await api(t, '/api/v1/uploads', { method: 'POST', key, body: photoForm() });
  assert.equal(upload.status, 429, 'uploads share the create budget');
  assert.equal((await api(t, '/api/v1/shoots', { key })).status, 200, 'reads have their own budget');
  assert.equal((await api(t, `/api/v1/shoots/${randomUUID()}/cancel`, { method: 'POST', key: keys.aUser2 })).status, 404, 'another key of the same user has its own budget');
});

test('sessions are limited per user: two sign-ins of the same seller share one budget', async () => {
  const first = await signedIn(t.baseUrl, 'seller@studioflow.test');
  const second = await signedIn(t.baseUrl, 'seller@studioflow.test');
  const a = await first.call('GET', '/api/v1/shoots?limit=1');
  const b = await second.call('GET', '/api/v1/shoots?limit=1');
  assert.deepEqual([a.status, b.status], [200, 200]);
  const remainingA = Number(a.headers.get('ratelimit-remaining'));
  const remainingB = Number(b.headers.get('ratelimit-remaining'));
  assert.ok(Number.isInteger(remainingA) && remainingB === remainingA - 1, `the second session counts against the same budget (${remainingA}, ${remainingB})`);
});

test('webhook endpoints by role and tenant: sellers register their own, staff the tenant\'s; reviewers 403, other tenants 404, internal URLs refused', async () => {
  const url = 'https://hooks.example.com/studioflow';
  assert.equal((await api(t, '/api/v1/webhooks', { method: 'POST', key: keys.aReviewer, body: JSON.stringify({ url }) })).status, 403);
  for (const bad of ['ftp://example.com/x', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'http://[fd00::1]/x', 'http://user:pw@example.com/']) {
    const res = await api(t, '/api/v1/webhooks', { method: 'POST', key: keys.aStaff, body: JSON.stringify({ url: bad }) });
    assert.ok(res.status === 422 || res.status === 400, `${bad}: ${res.status}`);
  }
  const staff = await api(t, '/api/v1/webhooks', { method: 'POST', key: keys.aStaff, body: JSON.stringify({ url, description: 'tenant hook' }) });
  assert.equal(staff.status, 201, JSON.stringify(staff.body));
  assert.match(staff.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.equal(staff.body.scope, 'tenant');
  const seller = await aUser.POST('/api/v1/webhooks', { body: { url, eventTypes: ['shoot.completed'] } });
  assert.equal(seller.data?.scope, 'own');
  const sellerList = await aUser.GET('/api/v1/webhooks');
  assert.deepEqual(sellerList.data!.map((e) => e.id), [seller.data!.id], 'a seller sees their own endpoints only');
  assert.ok(!('secret' in sellerList.data![0]), 'the secret is shown once');
  const staffList = await api(t, '/api/v1/webhooks', { key: keys.aStaff });
  assert.equal(staffList.body.length, 2);
  assert.equal((await api(t, `/api/v1/webhooks/${staff.body.id}/deliveries`, { key: keys.bStaff })).status, 404);
  assert.equal((await api(t, `/api/v1/webhooks/${staff.body.id}/deliveries`, { key: keys.aUser })).status, 404, "a seller does not see the tenant's endpoint");
  assert.equal((await api(t, `/api/v1/webhooks/${staff.body.id}`, { method: 'DELETE', key: keys.bStaff })).status, 404);
  for (const id of [staff.body.id, seller.data!.id]) assert.equal((await api(t, `/api/v1/webhooks/${id}`, { method: 'DELETE', key: keys.aStaff })).status, 200);
  assert.equal((await api(t, '/api/v1/webhooks', { key: keys.aStaff })).body.length, 0);
});

/** A receiver that checks signatures itself (the Standard Webhooks spec, not our signing code) and answers by a script. */
interface Received {
  id: string;
  body: any;
  signatureOk: boolean;
  /** What the client package's verifyWebhook says of the same request. */
  clientVerifies: boolean;
}

async function startReceiver(answer: (webhookId: string, nth: number) => Promise<number>): Promise<{ server: Server; url: string; received: Received[]; setSecret(s: string): void }> {
  const received: Received[] = [];
  const perId = new Map<string, number>();
  let secret = '';
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const id = String(req.headers['webhook-id']);
      const timestamp = String(req.headers['webhook-timestamp']);
      const expected = Buffer.from(`v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
      const given = Buffer.from(String(req.headers['webhook-signature']));
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      received.push({
        id,
        body: JSON.parse(body),
        signatureOk: fresh && given.length === expected.length && timingSafeEqual(given, expected),
        clientVerifies: verifyWebhook(secret, req.headers as Record<string, string>, body) && !verifyWebhook(secret, req.headers as Record<string, string>, `${body} `),
      });
      const nth = (perId.get(id) ?? 0) + 1;
      perId.set(id, nth);
      const status = await answer(id, nth);
      if (!res.destroyed) res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/hooks`, received, setSecret: (s) => (secret = s) };
}

test('webhooks: signed Standard Webhooks deliveries, retried with the same webhook-id after 500s and a timeout, logged, re-sent on demand', async () => {
  // The first event (a completed shoot) is answered 500 twice, then 200; the second (a failed shoot)
  // gets no answer within the timeout once, then 200. The nth request of a webhook-id decides.
  let phase = 'completed' as 'completed' | 'failed';
  const phaseOf = new Map<string, 'completed' | 'failed'>();
  const receiver = await startReceiver(async (id, nth) => {
    if (!phaseOf.has(id)) phaseOf.set(id, phase);
    if (phaseOf.get(id) === 'completed') return nth <= 2 ? 500 : 200;
    if (nth === 1) await new Promise((r) => setTimeout(r, 3000));
    return 200;
  });
  try {
    const created = await api(t, '/api/v1/webhooks', { method: 'POST', key: keys.aStaff, body: JSON.stringify({ url: receiver.url }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    receiver.setSecret(created.body.secret);
    const endpointId = created.body.id as string;

    // A real shoot, run by a worker to completion.
    await t.startWorker();
    const uploadId = await upload(keys.aUser);
    const shoot = await createShoot(keys.aUser, { templateId: 'white-studio', uploadId });
    assert.equal(shoot.status, 202);
    const completedDelivery = await until('a delivered shoot.completed', async () => {
      const log = await api(t, `/api/v1/webhooks/${endpointId}/deliveries`, { key: keys.aStaff });
      return log.body.find((d: any) => d.runId === shoot.body.id && d.state === 'delivered');
    });
    assert.equal(completedDelivery.eventType, 'shoot.completed');
    assert.deepEqual(completedDelivery.attempts.map((a: any) => a.statusCode), [500, 500, 200]);
    assert.ok(completedDelivery.attempts.every((a: any) => Number.isInteger(a.durationMs) && a.durationMs >= 0));
    assert.equal(completedDelivery.nextAttemptAt, null);

    // A shoot that ends without any notice (as if the API was down when it failed): the sweep still sends it.
    phase = 'failed';
    const other = await createShoot(keys.aUser, { templateId: 'white-studio', uploadId });
    await api(t, `/api/v1/shoots/${other.body.id}/cancel`, { method: 'POST', key: keys.aUser });
    await sql(`UPDATE runs SET status = 'failed', error = 'the product could not be found', finished_at = now() WHERE id = $1`, [other.body.id]);
    const failedDelivery = await until('a delivered shoot.failed', async () => {
      const log = await api(t, `/api/v1/webhooks/${endpointId}/deliveries`, { key: keys.aStaff });
      return log.body.find((d: any) => d.runId === other.body.id && d.state === 'delivered');
    });
    assert.equal(failedDelivery.eventType, 'shoot.failed');
    assert.equal(failedDelivery.attempts.length, 2);
    assert.equal(failedDelivery.attempts[0].statusCode, null);
    assert.match(failedDelivery.attempts[0].error, /no answer within/);
    assert.equal(failedDelivery.attempts[1].statusCode, 200);

    // From the receiver's side: every request signed, each event under one webhook-id, one event per shoot.
    assert.ok(receiver.received.every((r) => r.signatureOk), 'every signature verifies');
    assert.ok(receiver.received.every((r) => r.clientVerifies), "the client's verifyWebhook agrees and refuses a changed body");
    const byEvent = new Map<string, Received[]>();
    for (const r of receiver.received) byEvent.set(r.id, [...(byEvent.get(r.id) ?? []), r]);
    const events = [...byEvent.values()].map((rs) => rs[0].body);
    assert.deepEqual(events.map((e) => `${e.type} ${e.data.id}`).sort(), [`shoot.completed ${shoot.body.id}`, `shoot.failed ${other.body.id}`].sort());
    assert.equal(byEvent.get(completedDelivery.webhookId)?.length, 3, 'three attempts, one webhook-id');
    assert.equal(events.find((e) => e.type === 'shoot.failed').data.error, 'the product could not be found');

    // A manual re-send: the same webhook-id again, logged as a fourth attempt.
    const resend = await api(t, `/api/v1/webhooks/${endpointId}/deliveries/${completedDelivery.id}/resend`, { method: 'POST', key: keys.aStaff });
    assert.equal(resend.status, 202, JSON.stringify(resend.body));
    await until('the re-send', async () => (receiver.received.filter((r) => r.id === completedDelivery.webhookId).length === 4 ? true : undefined));
    const log = await until('the re-send in the log', async () => {
      const l = await api(t, `/api/v1/webhooks/${endpointId}/deliveries`, { key: keys.aStaff });
      const d = l.body.find((x: any) => x.id === completedDelivery.id);
      return d.attempts.length === 4 ? d : undefined;
    });
    assert.equal(log.state, 'delivered');
    assert.equal((await api(t, `/api/v1/webhooks/${endpointId}/deliveries/${completedDelivery.id}/resend`, { method: 'POST', key: keys.bStaff })).status, 404);
    assert.equal((await api(t, `/api/v1/webhooks/${endpointId}/deliveries/${randomUUID()}/resend`, { method: 'POST', key: keys.aStaff })).status, 404);
    // Sweeps keep running: still one message per event.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await sql(`SELECT count(*)::int AS n FROM webhook_messages WHERE endpoint_id = $1`, [endpointId]))[0].n, 2);
  } finally {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
});

test('a shoot that ends while the API is down still gets its webhook once the API is back', async () => {
  const receiver = await startReceiver(async () => 200);
  try {
    const created = await api(t, '/api/v1/webhooks', { method: 'POST', key: keys.bStaff, body: JSON.stringify({ url: receiver.url, eventTypes: ['shoot.failed'] }) });
    assert.equal(created.status, 201);
    receiver.setSecret(created.body.secret);
    const uploadId = await upload(keys.bUser);
    const shoot = await createShoot(keys.bUser, { templateId: 'white-studio', uploadId });
    await api(t, `/api/v1/shoots/${shoot.body.id}/cancel`, { method: 'POST', key: keys.bUser });
    const restarting = t.restartApi(3000);
    await new Promise((r) => setTimeout(r, 1000));
    // No API listens and nothing is published: only PostgreSQL knows the shoot ended.
    await sql(`UPDATE runs SET status = 'failed', error = 'ended while the API was down', finished_at = now() WHERE id = $1`, [shoot.body.id]);
    await restarting;
    const got = await until('the webhook after the restart', async () => receiver.received.find((r) => r.body.data.id === shoot.body.id), 60_000);
    assert.equal(got.body.type, 'shoot.failed');
    assert.ok(got.signatureOk);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(receiver.received.filter((r) => r.body.data.id === shoot.body.id).length, 1, 'sent once');
  } finally {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
});

test('the OpenAPI document lists request bodies with examples, the API-key and session schemes, and only /api/v1 paths', async () => {
  const doc = (await (await fetch(`${t.baseUrl}/api/docs-json`)).json()) as any;
  assert.ok(Object.keys(doc.paths).length > 20);
  assert.ok(Object.keys(doc.paths).every((p) => p.startsWith('/api/v1/')), 'no unversioned duplicates');
  const bodies: Array<[string, string, string]> = [
    ['/api/v1/runs', 'post', 'multipart/form-data'],
    ['/api/v1/runs/{id}/replay', 'post', 'application/json'],
    ['/api/v1/reviews/{runId}/{nodeId}', 'post', 'application/json'],
    ['/api/v1/graphs', 'post', 'application/json'],
    ['/api/v1/graphs/{id}/draft', 'put', 'application/json'],
    ['/api/v1/graphs/{id}/versions', 'post', 'application/json'],
    ['/api/v1/templates', 'post', 'application/json'],
    ['/api/v1/shoots', 'post', 'application/json'],
    ['/api/v1/shoots', 'post', 'multipart/form-data'],
    ['/api/v1/webhooks', 'post', 'application/json'],
  ];
  for (const [path, method, type] of bodies) {
    const schema = doc.paths[path]?.[method]?.requestBody?.content?.[type]?.schema;
    assert.ok(schema?.properties, `${method} ${path} documents its ${type} body`);
    assert.ok(schema.example, `${method} ${path} has an example`);
  }
  assert.deepEqual(doc.paths['/api/v1/reviews/{runId}/{nodeId}'].post.requestBody.content['application/json'].schema.properties.decision.enum, ['approve', 'reject', 'retry']);
  assert.equal(doc.components.securitySchemes.apiKey.type, 'http');
  assert.equal(doc.components.securitySchemes.apiKey.scheme, 'bearer');
  assert.notEqual(doc.components.securitySchemes.apiKey.bearerFormat, 'JWT');
  assert.deepEqual([doc.components.securitySchemes.session.in, doc.components.securitySchemes.session.name], ['cookie', 'sf_session']);
  assert.ok(doc.paths['/api/v1/shoots/{id}'].get.responses['200'].content['application/json'].schema.properties.status);
  assert.ok(doc.paths['/api/v1/shoots'].get.responses['200'].content['application/json'].schema.properties.nextCursor);
});

test('the typed client is generated from the current document (run `npm run gen:client` when this fails)', async () => {
  const doc = (await (await fetch(`${t.baseUrl}/api/docs-json`)).json()) as Parameters<typeof clientSchemaSource>[0];
  const fresh = await clientSchemaSource(doc);
  const committed = await readFile(CLIENT_SCHEMA_PATH, 'utf8');
  assert.ok(committed === fresh, 'server/src/client/schema.d.ts is stale: run npm run gen:client and commit it');
});

