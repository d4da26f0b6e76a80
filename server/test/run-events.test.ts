import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import type { RunLogEntry, SubscribeAck } from '@studioflow/runtime/graph';
import { ArtifactThumbnails } from '../src/artifacts/thumbnails';
import { api, deadline, sql, startTestApp, type TestApp } from './support/test-app';
import { shootForm } from './support/test-graphs';

// The run view's truth (issue 14): every run event carries a seq numbered per run by whichever process
// publishes it, a snapshot names the seq it reflects, node log lines stream and are kept, and image
// outputs come as small thumbnails only to their tenant.

let t: TestApp;
let socket: Socket;
/** Every run event the staff socket heard on the tenant feed, in arrival order. */
const heard: Array<{ type: string; runId: string; seq?: number; nodeId?: string; message?: string }> = [];
let runId = '';
let rivalKey = '';

before(async () => {
  t = await startTestApp('runview-events');
  const [rival] = await sql(t, `INSERT INTO tenants (name, credit_balance) VALUES ('Rival studio', 100) RETURNING id`);
  const [user] = await sql(t, `INSERT INTO users (tenant_id, email, role) VALUES ($1, 'staff@rival.test', 'staff') RETURNING id`, [rival.id]);
  rivalKey = 'sf_test_rival_staff_runview';
  await sql(t, `INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [user.id, rival.id, createHash('sha256').update(rivalKey).digest('hex')]);

  socket = io(t.baseUrl, { auth: { token: t.staffKey }, transports: ['websocket'], reconnection: false });
  socket.onAny((type: string, payload: { runId?: string }) => {
    if ((type.startsWith('run.') || type.startsWith('node.')) && type !== 'run.snapshot' && payload?.runId) heard.push({ type, ...payload } as (typeof heard)[number]);
  });
  await Promise.race([new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); }), deadline(30_000, 'socket did not connect')]);
  // The tenant feed hears the run from its very first event, so the seqs heard must be exactly 1..N.
  const ack = (await Promise.race([socket.emitWithAck('subscribe', { feed: 'tenant' }), deadline(30_000, 'no subscribe answer')])) as SubscribeAck;
  assert.deepEqual(ack, { ok: true });

  const photo = await makeProductPhoto({ seed: 14, width: 640, height: 480, kind: 'bottle' });
  const started = await api(t, '/api/v1/shoots', { method: 'POST', key: t.userKey, body: shootForm(photo.jpeg, { templateId: 'white-studio' }) });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  runId = started.body.id;
  const end = Date.now() + 240_000;
  while (!heard.some((e) => e.runId === runId && e.type.startsWith('run.') && e.type !== 'run.started' && e.type !== 'run.awaiting_review')) {
    if (Date.now() > end) throw new Error(`run ${runId} did not end; heard ${JSON.stringify(heard.map((e) => e.type))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  socket?.disconnect();
  await t?.stop();
});

test('every event of a run carries seq 1, 2, 3, … in the order it arrives, from the API and the worker process alike', async () => {
  const events = heard.filter((e) => e.runId === runId);
  assert.equal(events.at(-1)!.type, 'run.completed', JSON.stringify(events.map((e) => e.type)));
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), JSON.stringify(events.map((e) => [e.type, e.seq])));
  // node.queued for the first node comes from the API (the run's start), node.started and node.log from the worker.
  const types = new Set(events.map((e) => e.type));
  for (const type of ['node.queued', 'node.started', 'node.completed', 'node.log', 'run.completed']) assert.ok(types.has(type), `heard ${type}`);
});

test('GET /api/runs/:id names the seq its snapshot reflects: after the run, the seq of its last event', async () => {
  const run = await api(t, `/api/runs/${runId}`);
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.equal(run.body.status, 'completed');
  assert.equal(run.body.seq, heard.filter((e) => e.runId === runId).length);
  // A socket subscribing now gets the same snapshot (with seq) first.
  const late = io(t.baseUrl, { auth: { token: t.staffKey }, transports: ['websocket'], reconnection: false });
  try {
    const snapshot = new Promise<{ id: string; seq: number }>((resolve) => late.once('run.snapshot', resolve));
    await new Promise<void>((resolve) => late.once('connect', resolve));
    late.emit('subscribe', { runId });
    const s = await Promise.race([snapshot, deadline(30_000, 'no snapshot')]);
    assert.equal(s.seq, run.body.seq);
  } finally {
    late.disconnect();
  }
  assert.equal((await api(t, `/api/runs/${runId}`, { key: rivalKey })).status, 404, "another tenant's run is not found");
});

test('a node run’s log lines arrive live as node.log and are kept with the run, filterable by node', async () => {
  const live = heard.filter((e) => e.runId === runId && e.type === 'node.log');
  assert.ok(live.some((e) => e.nodeId === 'deliver' && /^delivered \d+×\d+: JPEG \d+ bytes/.test(e.message ?? '')), JSON.stringify(live));
  const kept = await api(t, `/api/runs/${runId}/logs`);
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  const lines = kept.body as RunLogEntry[];
  const delivered = lines.find((l) => l.nodeId === 'deliver' && l.message.startsWith('delivered'));
  assert.ok(delivered, JSON.stringify(lines));
  assert.equal(delivered.level, 'info');
  assert.equal(delivered.attempt, 1);
  assert.ok(!Number.isNaN(Date.parse(delivered.at)));
  const onlySegment = await api(t, `/api/runs/${runId}/logs?nodeId=segment`);
  assert.equal(onlySegment.status, 200);
  assert.ok((onlySegment.body as RunLogEntry[]).every((l) => l.nodeId === 'segment'));
  assert.equal((await api(t, `/api/runs/${runId}/logs?nodeId=`)).status, 400, 'an empty node filter is refused');
  assert.equal((await api(t, `/api/runs/${runId}/logs`, { key: rivalKey })).status, 404, "another tenant's run logs are not found");
});

test('?w= on a signed artifact link answers a small WebP, derived once and then served from the cache; bad widths are 400, foreign ones 404', async () => {
  const run = await api(t, `/api/runs/${runId}`);
  const deliver = (run.body.nodes as Array<{ nodeId: string; outputs: Record<string, { url: string; width: number; bytes: number }> }>).find((n) => n.nodeId === 'deliver')!;
  const jpeg = deliver.outputs.jpeg;
  const thumbnails = t.app.get(ArtifactThumbnails);
  const before = thumbnails.derived;
  const first = await fetch(`${t.baseUrl}${jpeg.url}&w=160`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'image/webp');
  assert.match(first.headers.get('cache-control') ?? '', /immutable/);
  const bytes = Buffer.from(await first.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  assert.ok(meta.width! <= 160 && meta.height! <= 160, `${meta.width}×${meta.height}`);
  assert.ok(bytes.length < jpeg.bytes / 4, `thumbnail ${bytes.length} bytes vs the JPEG's ${jpeg.bytes}`);
  const again = Buffer.from(await (await fetch(`${t.baseUrl}${jpeg.url}&w=160`)).arrayBuffer());
  assert.deepEqual(again, bytes);
  assert.equal(thumbnails.derived, before + 1, 'the second request came from the cache');
  const wider = await fetch(`${t.baseUrl}${jpeg.url}&w=320`);
  assert.equal((await sharp(Buffer.from(await wider.arrayBuffer())).metadata()).width, 320);

  for (const w of ['5', '5000', 'abc', '160.5', '']) assert.equal((await fetch(`${t.baseUrl}${jpeg.url}&w=${w}`)).status, 400, `w=${w}`);
  const hash = new URL(jpeg.url, t.baseUrl).pathname.split('/').pop()!;
  assert.equal((await api(t, `/api/artifacts/${hash}?w=160`, { key: rivalKey })).status, 404, "another tenant's artifact is not found");
  const forged = new URL(jpeg.url, t.baseUrl);
  forged.searchParams.set('sig', 'A'.repeat(forged.searchParams.get('sig')!.length));
  assert.equal((await fetch(`${forged}&w=160`)).status, 404, 'a forged link is not found, thumbnail or not');
  assert.equal((await api(t, `/api/artifacts/${hash}?w=160`)).status, 200, 'staff read it with their key');
});
