import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, deadline, startTestApp, type TestApp, sql as sqlOn } from './support/test-app';

let t: TestApp;

let finishedShoot = '';
let finishedArtifact = '';
before(async () => {
  t = await startTestApp('shootapi');
});
after(async () => t?.stop());

function form(image: Buffer | null, fields: Record<string, string>): FormData {
  const f = new FormData();
  if (image) f.set('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function balance(): Promise<number> {
  return (await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance;
}

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);

async function runCount(): Promise<number> {
  const list = await api(t, '/api/shoots?limit=200');
  return list.body.length;
}

function connect(key: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(t.baseUrl, { auth: { token: key }, transports: ['websocket'] });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

test('catalog lists the product nodes with JSON Schema params', async () => {
  const res = await fetch(`${t.baseUrl}/api/node-types`);
  const types = (await res.json()) as Array<{ type: string; params: { type: string } }>;
  for (const type of ['input-image', 'segment', 'studio-composite', 'deliver']) {
    const d = types.find((x) => x.type === type);
    assert.ok(d, `${type} in catalog`);
    assert.equal(d!.params.type, 'object');
  }
});

test('white-studio is seeded and published on first start', async () => {
  const res = await api(t, '/api/templates', { key: t.userKey });
  assert.equal(res.status, 200);
  assert.ok(res.body.some((x: { slug: string }) => x.slug === 'white-studio'));
});

test('a seller uploads a phone photo and receives a studio shot, through the socket and the poll', async () => {
  const photo = await makeProductPhoto({ seed: 7, width: 2400, height: 1800, kind: 'bottle' });
  const before = await balance();
  const socket = await connect(t.userKey);
  const events: Array<{ type: string; payload: any }> = [];
  for (const type of ['run.started', 'node.started', 'node.progress', 'node.completed', 'node.failed', 'run.completed', 'run.failed']) {
    socket.on(type, (payload) => events.push({ type, payload }));
  }
  const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(photo.jpeg, { templateId: 'white-studio', params: '{"composite.fill":0.85}' }) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const runId = res.body.runId as string;
  assert.equal(res.body.id, runId, 'the answer names the shoot as GET /api/shoots/:id does');
  const completed = new Promise<any>((resolve, reject) => {
    socket.on('run.completed', (p) => p.runId === runId && resolve(p));
    socket.on('run.failed', (p) => p.runId === runId && reject(new Error(p.error)));
    socket.on('run.snapshot', (s) => s.id === runId && s.status === 'completed' && resolve(s));
  });
  const ack = await socket.emitWithAck('subscribe', { runId });
  assert.equal(ack.ok, true);
  await Promise.race([completed, deadline(240_000, 'no run.completed within 240 s')]);
  socket.disconnect();

  const mine = events.filter((e) => e.payload.runId === runId).map((e) => e.type);
  assert.ok(mine.includes('node.completed'), `socket events: ${mine.join(', ')}`);
  // The socket's artifact refs carry signed URLs too: the editor shows them in <img> with no key.
  const delivered = events.find((e) => e.type === 'node.completed' && e.payload.runId === runId && e.payload.nodeId === 'deliver');
  const live = await fetch(`${t.baseUrl}${delivered?.payload.outputs.thumbnail.url}`);
  assert.equal(live.status, 200);
  assert.match(live.headers.get('content-type') ?? '', /^image\//);

  const poll = await api(t, `/api/shoots/${runId}`, { key: t.userKey });
  assert.equal(poll.status, 200);
  assert.equal(poll.body.status, 'completed');
  assert.deepEqual(poll.body.nodes.map((n: { nodeId: string }) => n.nodeId), ['input', 'segment', 'composite', 'deliver']);
  assert.ok(poll.body.nodes.every((n: { state: string }) => n.state === 'done'));
  for (const kind of ['jpeg', 'webp', 'thumbnail']) assert.match(poll.body.results[kind], /^\/api\/artifacts\/[a-f0-9]{64}\?t=[-a-f0-9]{36}&exp=\d+&sig=[\w-]{43}$/);
  // The socket's run.completed is the event the editor declares: the same signed result links as the poll.
  const done = events.find((e) => e.type === 'run.completed' && e.payload.runId === runId);
  assert.ok(done, `socket events: ${mine.join(', ')}`);
  assert.deepEqual(Object.keys(done.payload.results).sort(), Object.keys(poll.body.results).sort());
  assert.equal(done.payload.outputs, undefined);

  // Costs (issue 11 §7): white-studio runs no cloud model, so its cost is the storage of what it stored.
  assert.equal(typeof poll.body.costUsd, 'number');
  assert.ok(poll.body.costUsd > 0, `the run's stored artifacts cost something: ${poll.body.costUsd}`);
  assert.equal(done.payload.costUsd, poll.body.costUsd, 'run.completed carries the total GET /api/shoots/:id shows');
  const nodeSum = poll.body.nodes.reduce((sum: number, n: { costUsd: number }) => sum + n.costUsd, 0);
  assert.ok(Math.abs(nodeSum - poll.body.costUsd) < 1e-9, `per-node costs (${nodeSum}) add up to the total (${poll.body.costUsd})`);
  for (const n of poll.body.nodes) {
    const live = events.find((e) => e.type === 'node.completed' && e.payload.runId === runId && e.payload.nodeId === n.nodeId);
    assert.equal(live?.payload.costUsd, n.costUsd, `node.completed of ${n.nodeId} carries its cost`);
    assert.ok(n.costParts.every((part: { kind: string }) => part.kind === 'storage'), `${n.nodeId}: only storage on CPU nodes`);
  }
  const byTemplate = await api(t, '/api/costs?groupBy=template');
  assert.equal(byTemplate.status, 200, JSON.stringify(byTemplate.body));
  const white = byTemplate.body.groups.find((g: { templateSlug: string }) => g.templateSlug === 'white-studio');
  assert.ok(white && white.runs >= 1 && white.costUsd >= poll.body.costUsd - 1e-9, JSON.stringify(byTemplate.body));
  const byDay = await api(t, `/api/costs?groupBy=day&from=${new Date(Date.now() - 86_400_000).toISOString()}`);
  assert.equal(byDay.status, 200);
  const today = byDay.body.groups.find((g: { day: string }) => g.day === new Date().toISOString().slice(0, 10));
  assert.ok(today && today.costUsd >= poll.body.costUsd - 1e-9, JSON.stringify(byDay.body));
  assert.equal((await api(t, '/api/costs?groupBy=week')).status, 400);
  assert.equal((await api(t, '/api/costs?groupBy=day', { key: t.userKey })).status, 403, 'sums are for staff');

  const image = await fetch(`${t.baseUrl}${poll.body.results.jpeg}`);
  assert.equal(image.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await image.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.width, 2048);
  assert.equal(meta.height, 2048);
  const { data } = await sharp(bytes).extract({ left: 0, top: 0, width: 16, height: 16 }).raw().toBuffer({ resolveWithObject: true });
  assert.ok(data.every((v) => v >= 250), 'the backdrop is white');
  assert.equal(before - (await balance()), 1, 'charged exactly the template price');

  const other = await api(t, `/api/shoots/${runId}`, { key: 'sf_nobody' });
  assert.equal(other.status, 401);
  finishedShoot = runId;
  finishedArtifact = poll.body.results.jpeg.split('?')[0];
});

test('bad uploads get a clear 4xx, and nothing is enqueued or charged', async () => {
  const startBalance = await balance();
  const startRuns = await runCount();
  const good = (await makeProductPhoto({ seed: 3, width: 400, height: 300 })).jpeg;
  const bomb = await sharp({ create: { width: 9000, height: 9000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
  const cases: Array<{ name: string; body: FormData; status: number; message: RegExp }> = [
    { name: 'no file', body: form(null, { templateId: 'white-studio' }), status: 422, message: /empty/ },
    { name: 'not an image', body: form(Buffer.from('hello, I am text'), { templateId: 'white-studio' }), status: 415, message: /not an image/ },
    { name: 'truncated JPEG', body: form(good.subarray(0, Math.floor(good.length / 2)), { templateId: 'white-studio' }), status: 422, message: /corrupt/ },
    { name: 'decompression bomb', body: form(bomb, { templateId: 'white-studio' }), status: 413, message: /limit is 50 MP/ },
    { name: 'unknown template', body: form(good, { templateId: 'no-such-template' }), status: 404, message: /unknown template/ },
    { name: 'missing template', body: form(good, {}), status: 400, message: /templateId is required/ },
    { name: 'param not exposed', body: form(good, { templateId: 'white-studio', params: '{"deliver.jpegQuality": 5}' }), status: 422, message: /not exposed/ },
    { name: 'param of the wrong type', body: form(good, { templateId: 'white-studio', params: '{"composite.fill": "huge"}' }), status: 422, message: /invalid/ },
    { name: 'params not JSON', body: form(good, { templateId: 'white-studio', params: '{oops' }), status: 400, message: /JSON object/ },
  ];
  for (const c of cases) {
    const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: c.body });
    assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body)}`);
    assert.match(JSON.stringify(res.body.message), c.message, c.name);
  }
  assert.equal(await balance(), startBalance, 'nothing charged');
  assert.equal(await runCount(), startRuns, 'nothing created');
});

test('an invalid graph cannot be committed: 422 with every problem', async () => {
  const created = await api(t, '/api/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'broken',
      draft: {
        nodes: [
          { id: 'a', type: 'input-image' },
          { id: 'b', type: 'studio-composite' },
          { id: 'c', type: 'warp-drive' },
        ],
        edges: [{ source: 'a', sourceHandle: 'image', target: 'b', targetHandle: 'cutout' }],
      },
    }),
  });
  assert.equal(created.status, 201);
  const commit = await api(t, `/api/graphs/${created.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(commit.status, 422);
  const codes = commit.body.problems.map((p: { code: string }) => p.code).sort();
  assert.deepEqual(codes, ['ill_typed_edge', 'unknown_node_type']);
  const forbidden = await api(t, '/api/graphs', { key: t.userKey });
  assert.equal(forbidden.status, 403, 'end users cannot edit graphs');
});

test('other tenants cannot see a shoot, its artifacts or a graph', async () => {
  assert.ok(finishedShoot, 'needs the shoot from the earlier test');
  const [tenant] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival', 0) RETURNING id`);
  const [user] = await sql(`INSERT INTO users (tenant_id, email, role) VALUES ($1, 'rival@x.test', 'staff') RETURNING id`, [tenant.id]);
  const key = 'sf_rival_key';
  await sql(`INSERT INTO api_keys (user_id, tenant_id, key_hash) VALUES ($1, $2, $3)`, [user.id, tenant.id, createHash('sha256').update(key).digest('hex')]);
  assert.equal((await api(t, `/api/shoots/${finishedShoot}`, { key })).status, 404);
  assert.equal((await api(t, finishedArtifact, { key })).status, 404);
  assert.equal((await api(t, finishedArtifact, { key: t.staffKey })).status, 200, 'tenant staff read artifacts by key');
  assert.equal((await api(t, finishedArtifact, { key: t.userKey })).status, 404, 'an end user downloads through the signed URLs of their own shoots');
  const graphs = await api(t, '/api/graphs', { key });
  assert.deepEqual(graphs.body, []);
  const [g] = await sql(`SELECT id FROM graphs LIMIT 1`);
  assert.equal((await api(t, `/api/graphs/${g.id}`, { key })).status, 404);
  const poor = await api(t, '/api/shoots', {
    method: 'POST',
    key,
    body: form((await makeProductPhoto({ seed: 1, width: 300, height: 300 })).jpeg, { templateId: 'white-studio' }),
  });
  assert.equal(poor.status, 402, 'no credits: payment required');
});
