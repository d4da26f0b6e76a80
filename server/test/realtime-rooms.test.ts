import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import type { SubscribeAck, SubscribeRequest } from '@studioflow/runtime/graph';
import { api, deadline, sql, startTestApp, type TestApp } from './support/test-app';

// Which socket hears which run: a seller's socket only the shoots it subscribed to (its own), staff and
// reviewers the tenant feed only when they ask for it (server/src/realtime/realtime.gateway.ts).

let t: TestApp;
/** A second seller of the same tenant as the dev seller. */
let otherSellerKey = '';
let reviewerKey = '';
const sockets: Socket[] = [];

interface Heard {
  type: string;
  runId: string;
}

before(async () => {
  t = await startTestApp('rooms');
  const [tenant] = await sql(t, `SELECT id FROM tenants WHERE name = 'Demo studio'`);
  otherSellerKey = await addUser(tenant.id, 'other-seller@studioflow.local', 'end_user');
  reviewerKey = t.config.devKeys.reviewer;
});

after(async () => {
  for (const s of sockets) s.disconnect();
  await t?.stop();
});

async function addUser(tenantId: string, email: string, role: string): Promise<string> {
  const [u] = await sql(t, `INSERT INTO users (tenant_id, email, role) VALUES ($1, $2, $3) RETURNING id`, [tenantId, email, role]);
  const key = `sf_test_${email.replace(/\W/g, '_')}`;
  await sql(t, `INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [u.id, tenantId, createHash('sha256').update(key).digest('hex')]);
  return key;
}

/** A connected socket and every run event it hears, in order. */
async function listen(key: string): Promise<{ socket: Socket; heard: Heard[] }> {
  const socket = io(t.baseUrl, { auth: { token: key }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  const heard: Heard[] = [];
  socket.onAny((type: string, payload: { runId?: string }) => {
    if ((type.startsWith('run.') || type.startsWith('node.')) && type !== 'run.snapshot' && payload?.runId) heard.push({ type, runId: payload.runId });
  });
  await Promise.race([
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
    deadline(30_000, 'socket did not connect'),
  ]);
  return { socket, heard };
}

function subscribe(socket: Socket, request: SubscribeRequest): Promise<SubscribeAck> {
  return Promise.race([socket.emitWithAck('subscribe', request) as Promise<SubscribeAck>, deadline(30_000, 'no subscribe answer')]);
}

async function submitShoot(key: string, seed: number): Promise<string> {
  const photo = await makeProductPhoto({ seed, width: 480, height: 360, kind: 'bottle' });
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('templateId', 'white-studio');
  const res = await api(t, '/api/v1/shoots', { method: 'POST', key, body: form });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id as string;
}

function completedOn(socket: Socket, runId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('run.completed', (p: { runId: string }) => p.runId === runId && resolve());
    socket.on('run.failed', (p: { runId: string; error?: string }) => p.runId === runId && reject(new Error(`run ${runId} failed: ${p.error}`)));
    // A run that finished before the subscription shows it in the snapshot the subscription answers with.
    socket.on('run.snapshot', (s: { id: string; status: string }) => s.id === runId && s.status === 'completed' && resolve());
  });
}

test('a seller socket hears its own shoot only; another seller\'s shoot and the tenant feed are refused; staff hear the tenant feed when they ask', async () => {
  const seller = await listen(t.userKey);
  const otherSeller = await listen(otherSellerKey);
  const staffFeed = await listen(t.staffKey);
  const staffQuiet = await listen(t.staffKey);
  const reviewerFeed = await listen(reviewerKey);

  const feedAck = await subscribe(staffFeed.socket, { feed: 'tenant' });
  assert.deepEqual(feedAck, { ok: true });
  assert.equal((await subscribe(reviewerFeed.socket, { feed: 'tenant' })).ok, true, 'reviewers may watch the tenant feed');
  const sellerFeed = await subscribe(seller.socket, { feed: 'tenant' });
  assert.equal(sellerFeed.ok, false, 'a seller may not watch the tenant feed');
  assert.match((sellerFeed as { error: string }).error, /staff and reviewers/);

  const mine = await submitShoot(t.userKey, 31);
  const theirs = await submitShoot(otherSellerKey, 32);
  // Both finish: the staff feed is the witness that the other seller's run did emit events.
  const bothDone = Promise.all([completedOn(staffFeed.socket, mine), completedOn(staffFeed.socket, theirs)]);

  const own = await subscribe(seller.socket, { runId: mine });
  assert.equal(own.ok, true, JSON.stringify(own));
  const foreign = await subscribe(seller.socket, { runId: theirs });
  assert.deepEqual(foreign, { ok: false, error: 'run not found' }, 'another seller\'s shoot is not found, as on GET /api/shoots/:id');
  assert.equal((await subscribe(otherSeller.socket, { runId: theirs })).ok, true);
  assert.equal((await subscribe(seller.socket, { runId: 'not-a-uuid' })).ok, false);
  assert.equal((await subscribe(seller.socket, {} as SubscribeRequest)).ok, false);

  await Promise.race([bothDone, deadline(240_000, 'the two shoots did not complete within 240 s')]);
  await Promise.race([completedOn(seller.socket, mine).catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
  // Events of a run that completed may still be in flight to the other sockets: let them land.
  await new Promise((r) => setTimeout(r, 1000));

  const runsHeard = (h: Heard[]) => [...new Set(h.map((e) => e.runId))].sort();
  assert.deepEqual(runsHeard(seller.heard), [mine], `the seller's socket heard: ${JSON.stringify(seller.heard)}`);
  assert.ok(seller.heard.some((e) => e.type === 'node.completed'), 'the seller hears its own nodes finish');
  assert.deepEqual(runsHeard(otherSeller.heard), [theirs]);
  assert.deepEqual(runsHeard(staffFeed.heard), [mine, theirs].sort(), 'the staff tenant feed hears every run of the tenant');
  assert.deepEqual(runsHeard(reviewerFeed.heard), [mine, theirs].sort());
  assert.equal(staffQuiet.heard.length, 0, 'a staff socket that subscribed to nothing hears nothing');

  // Leaving the feed stops it; a run subscription of staff still works per run.
  await staffFeed.socket.emitWithAck('unsubscribe', { feed: 'tenant' });
  assert.equal((await subscribe(staffQuiet.socket, { runId: theirs })).ok, true, 'staff may subscribe to any run of their tenant');
  const before = staffFeed.heard.length;
  const third = await submitShoot(t.userKey, 33);
  const thirdDone = completedOn(staffQuiet.socket, third).catch(() => undefined);
  await subscribe(staffQuiet.socket, { runId: third });
  await Promise.race([thirdDone, deadline(240_000, 'the third shoot did not complete within 240 s')]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(staffFeed.heard.length, before, 'a socket that left the tenant feed hears no more of it');
  assert.deepEqual(runsHeard(seller.heard), [mine], 'a seller does not hear its next shoot until it subscribes to it');
});
