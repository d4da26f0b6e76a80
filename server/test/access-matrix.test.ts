import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Pool } from 'pg';
import { io, type Socket } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, startTestApp, type TestApp } from './support/test-app';

// The authorization model (server/src/auth/access-policy.ts) as a matrix: every route, every role of
// two tenants, the operator and an anonymous caller; each cell states the status it must answer.
const SCRAPE_TOKEN = 'scrape-token-for-tests';
process.env.METRICS_TOKEN = SCRAPE_TOKEN;

type Who = 'anon' | 'operator' | 'aStaff' | 'aReviewer' | 'aUser' | 'aUser2' | 'bStaff' | 'bReviewer' | 'bUser';
const EVERYONE: Who[] = ['anon', 'operator', 'aStaff', 'aReviewer', 'aUser', 'aUser2', 'bStaff', 'bReviewer', 'bUser'];

let t: TestApp;
let pool: Pool;
const keys = {} as Record<Who, string>;
const fx = {
  shoot: '',
  artifactPath: '',
  graphId: '',
  versionId: '',
  privateSlug: 'a-private-studio',
  deadLetterId: 0,
};

async function sql(text: string, params: unknown[] = []): Promise<any[]> {
  return (await pool.query(text, params)).rows;
}

async function addUser(tenantId: string, email: string, role: string): Promise<string> {
  const [u] = await sql(`INSERT INTO users (tenant_id, email, role) VALUES ($1, $2, $3) RETURNING id`, [tenantId, email, role]);
  const key = `sf_test_${email.replace(/\W/g, '_')}`;
  await sql(`INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [u.id, tenantId, createHash('sha256').update(key).digest('hex')]);
  return key;
}

function photoForm(image: Buffer, fields: Record<string, string>): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function call(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers = new Headers();
  if (who !== 'anon') headers.set('Authorization', `Bearer ${keys[who]}`);
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers.set('Content-Type', 'application/json');
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: payload, redirect: 'manual' });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

async function until(id: string, statuses: string[], timeoutMs = 120_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await call('aStaff', 'GET', `/api/shoots/${id}`);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > end) throw new Error(`run ${id} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

before(async () => {
  t = await startTestApp('access');
  pool = new Pool({ connectionString: t.config.databaseUrl, max: 2 });
  const [a] = await sql(`SELECT id FROM tenants WHERE name = 'Demo studio'`);
  const [b] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival shop', 500) RETURNING id`);
  keys.operator = t.config.devKeys.operator;
  keys.aStaff = t.staffKey;
  keys.aReviewer = t.config.devKeys.reviewer;
  keys.aUser = t.userKey;
  keys.aUser2 = await addUser(a.id, 'second-seller@a.test', 'end_user');
  keys.bStaff = await addUser(b.id, 'staff@b.test', 'staff');
  keys.bReviewer = await addUser(b.id, 'reviewer@b.test', 'reviewer');
  keys.bUser = await addUser(b.id, 'seller@b.test', 'end_user');

  // Tenant A: its graph (the shipped white-studio), a private template, a finished shoot of aUser.
  const [v] = await sql(`SELECT v.id, v.graph_id FROM graph_versions v JOIN templates t ON t.graph_version_id = v.id WHERE t.slug = 'white-studio'`);
  fx.graphId = v.graph_id;
  fx.versionId = v.id;
  const published = await call('aStaff', 'POST', '/api/templates', {
    graphVersionId: fx.versionId,
    slug: fx.privateSlug,
    name: 'A private studio',
    priceCredits: 3,
    visibility: 'private',
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  const photo = (await makeProductPhoto({ seed: 5, width: 640, height: 480 })).jpeg;
  const shoot = await call('aUser', 'POST', '/api/shoots', photoForm(photo, { templateId: 'white-studio' }));
  assert.equal(shoot.status, 202, JSON.stringify(shoot.body));
  fx.shoot = shoot.body.runId;
  const done = await until(fx.shoot, ['completed']);
  fx.artifactPath = new URL(done.results.jpeg, t.baseUrl).pathname;
  const [dl] = await sql(
    `INSERT INTO dead_letters (tenant_id, run_id, node_id, node_type, error, attempts) VALUES ($1, $2, 'deliver', 'deliver', 'test letter', 3) RETURNING id`,
    [a.id, fx.shoot],
  );
  fx.deadLetterId = Number(dl.id);
});

after(async () => {
  await pool?.end();
  await t?.stop();
});

interface Row {
  route: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  expect: Partial<Record<Who, number>>;
}

/** Expected statuses; a missing caller means the row's `others` value. */
function cells(others: number, specific: Partial<Record<Who, number>>): Partial<Record<Who, number>> {
  return Object.fromEntries(EVERYONE.map((w) => [w, specific[w] ?? others]));
}

const TENANT = { anon: 401, operator: 403 } as const;

const MATRIX: Row[] = [
  { route: 'health', method: 'GET', path: () => '/api/health', expect: cells(200, {}) },
  { route: 'node types', method: 'GET', path: () => '/api/node-types', expect: cells(200, {}) },
  { route: 'list graphs', method: 'GET', path: () => '/api/graphs', expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 200 }) },
  { route: 'read graph', method: 'GET', path: () => `/api/graphs/${fx.graphId}`, expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 404 }) },
  { route: 'graph runs', method: 'GET', path: () => `/api/graphs/${fx.graphId}/runs`, expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 404 }) },
  { route: 'graph version', method: 'GET', path: () => `/api/graphs/${fx.graphId}/versions/1`, expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 404 }) },
  {
    route: 'save draft',
    method: 'PUT',
    path: () => `/api/graphs/${fx.graphId}/draft`,
    body: () => ({ draft: { nodes: [], edges: [] } }),
    expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 404 }),
  },
  {
    route: 'commit',
    method: 'POST',
    path: () => `/api/graphs/${fx.graphId}/versions`,
    body: () => ({ message: 'matrix' }),
    // aStaff saved an empty draft above: committing it is refused as invalid (422), not forbidden.
    expect: cells(403, { ...TENANT, aStaff: 422, bStaff: 404 }),
  },
  {
    route: 'draft run',
    method: 'POST',
    path: () => `/api/graphs/${fx.graphId}/draft-runs`,
    body: () => ({ graph: { nodes: [], edges: [] } }),
    // An empty canvas is refused as invalid (422) before anything runs, not forbidden.
    expect: cells(403, { ...TENANT, aStaff: 422, bStaff: 404 }),
  },
  { route: 'unpin test photo', method: 'DELETE', path: () => `/api/graphs/${fx.graphId}/test-photo`, expect: cells(403, { ...TENANT, aStaff: 204, bStaff: 404 }) },
  { route: 'validate', method: 'POST', path: () => '/api/graphs/validate', body: () => ({ graph: { nodes: [], edges: [] } }), expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 200 }) },
  { route: 'create graph', method: 'POST', path: () => '/api/graphs', body: () => ({ name: 'matrix' }), expect: cells(403, { ...TENANT, aStaff: 201, bStaff: 201 }) },
  { route: 'list templates', method: 'GET', path: () => '/api/templates', expect: cells(200, TENANT) },
  { route: 'read public template', method: 'GET', path: () => '/api/templates/white-studio', expect: cells(200, TENANT) },
  {
    route: "read A's private template",
    method: 'GET',
    path: () => `/api/templates/${fx.privateSlug}`,
    expect: cells(200, { ...TENANT, bStaff: 404, bReviewer: 404, bUser: 404 }),
  },
  {
    route: "publish A's version",
    method: 'POST',
    path: () => '/api/templates',
    body: () => ({ graphVersionId: fx.versionId, slug: `m-${Math.random().toString(36).slice(2, 8)}`, name: 'm', priceCredits: 1 }),
    expect: cells(403, { ...TENANT, aStaff: 201, bStaff: 404 }),
  },
  { route: 'list shoots', method: 'GET', path: () => '/api/shoots', expect: cells(200, TENANT) },
  { route: "read aUser's shoot", method: 'GET', path: () => `/api/shoots/${fx.shoot}`, expect: cells(404, { ...TENANT, aStaff: 200, aReviewer: 200, aUser: 200 }) },
  { route: "read aUser's run", method: 'GET', path: () => `/api/runs/${fx.shoot}`, expect: cells(404, { ...TENANT, aStaff: 200, aReviewer: 200, aUser: 200 }) },
  {
    route: "cancel aUser's finished shoot",
    method: 'POST',
    path: () => `/api/shoots/${fx.shoot}/cancel`,
    expect: cells(404, { ...TENANT, aReviewer: 403, bReviewer: 403, aStaff: 409, aUser: 409 }),
  },
  {
    route: 'replay',
    method: 'POST',
    path: () => `/api/runs/${fx.shoot}/replay`,
    body: () => ({ fromNodeId: 'deliver' }),
    expect: cells(403, { ...TENANT, aStaff: 202, bStaff: 404 }),
  },
  {
    route: 'submit to white-studio (public)',
    method: 'POST',
    path: () => '/api/shoots',
    body: () => photoForm(smallPhoto, { templateId: 'white-studio' }),
    expect: cells(202, { ...TENANT, aReviewer: 403, bReviewer: 403 }),
  },
  {
    route: "submit to A's private template",
    method: 'POST',
    path: () => '/api/shoots',
    body: () => photoForm(smallPhoto, { templateId: fx.privateSlug }),
    expect: cells(404, { ...TENANT, aReviewer: 403, bReviewer: 403, aStaff: 202, aUser: 202, aUser2: 202 }),
  },
  {
    route: "test run of A's version",
    method: 'POST',
    path: () => '/api/runs',
    body: () => photoForm(smallPhoto, { graphVersionId: fx.versionId }),
    expect: cells(403, { ...TENANT, aStaff: 202, bStaff: 404 }),
  },
  // End users download through the signed URLs their shoots carry, never by key (see the signed-URL tests).
  { route: 'artifact by key', method: 'GET', path: () => fx.artifactPath, expect: cells(404, { anon: 401, operator: 403, aStaff: 200, aReviewer: 200 }) },
  { route: 'review queue', method: 'GET', path: () => '/api/reviews', expect: cells(403, { ...TENANT, aStaff: 200, aReviewer: 200, bStaff: 200, bReviewer: 200 }) },
  {
    route: 'decide a review',
    method: 'POST',
    path: () => `/api/reviews/${fx.shoot}/deliver`,
    body: () => ({ decision: 'approve' }),
    expect: cells(403, { ...TENANT, aStaff: 409, aReviewer: 409, bStaff: 404, bReviewer: 404 }),
  },
  { route: 'dead letters', method: 'GET', path: () => '/api/dead-letters', expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 200 }) },
  {
    route: "discard A's dead letter",
    method: 'POST',
    path: () => `/api/dead-letters/${fx.deadLetterId}/discard`,
    // Runs in the order of EVERYONE: bStaff comes after aStaff, so by then it is gone for B anyway.
    expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 404 }),
  },
  { route: 'scene providers', method: 'GET', path: () => '/api/providers', expect: cells(403, { anon: 401, operator: 200, aStaff: 200, bStaff: 200 }) },
  { route: 'cost sums', method: 'GET', path: () => '/api/costs?groupBy=template', expect: cells(403, { ...TENANT, aStaff: 200, bStaff: 200 }) },
  { route: 'list keys', method: 'GET', path: () => '/api/keys', expect: cells(200, { anon: 401 }) },
  { route: 'who am I', method: 'GET', path: () => '/api/v1/me', expect: cells(200, { anon: 401 }) },
  {
    route: 'invite into the tenant',
    method: 'POST',
    path: () => '/api/v1/invites',
    body: () => ({ email: `invitee-${Math.random().toString(36).slice(2, 10)}@matrix.test`, role: 'reviewer' }),
    expect: cells(403, { ...TENANT, aStaff: 201, bStaff: 201 }),
  },
  { route: 'metrics', method: 'GET', path: () => '/metrics', expect: cells(403, { anon: 401, operator: 200 }) },
  { route: 'Bull Board', method: 'GET', path: () => '/admin/queues', expect: cells(403, { anon: 401, operator: 200 }) },
  { route: 'Bull Board: list jobs', method: 'GET', path: () => '/admin/queues/api/queues', expect: cells(403, { anon: 401, operator: 200 }) },
  { route: 'Bull Board: pause cpu', method: 'PUT', path: () => '/admin/queues/api/queues/cpu/pause', expect: cells(403, { anon: 401, operator: 403 }) },
];

let smallPhoto: Buffer;

test('every route answers every role of two tenants as the access model says', async () => {
  smallPhoto = (await makeProductPhoto({ seed: 9, width: 400, height: 300 })).jpeg;
  const wrong: string[] = [];
  for (const row of MATRIX) {
    for (const who of EVERYONE) {
      const want = row.expect[who];
      if (want === undefined) continue;
      // The operator may pause queues; the matrix only proves tenants cannot (and leaves the queue running).
      if (row.route === 'Bull Board: pause cpu' && who === 'operator') continue;
      const res = await call(who, row.method, row.path(), row.body?.());
      if (res.status !== want) wrong.push(`${row.route} as ${who}: ${res.status}, expected ${want} (${JSON.stringify(res.body).slice(0, 120)})`);
    }
  }
  assert.deepEqual(wrong, []);
  const board = await call('operator', 'GET', '/admin/queues/api/queues');
  const cpu = board.body.queues.find((q: { name: string }) => q.name === 'cpu');
  assert.equal(cpu?.isPaused, false, "tenants' pause attempts left the shared cpu queue running");
});

test('lists hold only what the caller may see', async () => {
  const mine = await call('aUser', 'GET', '/api/shoots?limit=200');
  assert.ok(mine.body.length >= 1 && mine.body.every((s: { id: string }) => s.id), 'aUser lists shoots');
  const ownerOf = new Map((await sql(`SELECT r.id, u.email FROM runs r LEFT JOIN users u ON u.id = r.user_id`)).map((r) => [r.id, r.email]));
  assert.ok(mine.body.some((s: { id: string }) => s.id === fx.shoot));
  assert.deepEqual([...new Set(mine.body.map((s: { id: string }) => ownerOf.get(s.id)))], ['seller@studioflow.test'], 'an end user lists only their own shoots');
  const other = await call('aUser2', 'GET', '/api/shoots?limit=200');
  assert.ok(!other.body.some((s: { id: string }) => s.id === fx.shoot), "another end user of the same tenant does not list it");
  const staff = await call('aStaff', 'GET', '/api/shoots?limit=200');
  assert.ok(staff.body.some((s: { id: string }) => s.id === fx.shoot), 'tenant staff list every shoot of the tenant');
  const rival = await call('bStaff', 'GET', '/api/shoots?limit=200');
  assert.ok(!rival.body.some((s: { id: string }) => s.id === fx.shoot));

  const bTemplates = (await call('bUser', 'GET', '/api/templates')).body.map((x: { slug: string }) => x.slug);
  assert.ok(bTemplates.includes('white-studio'), 'public templates are listed for every tenant');
  assert.ok(!bTemplates.includes(fx.privateSlug), "another tenant's private template is not listed");
});

test('slugs are unique per owner: a taken name elsewhere is neither refused nor revealed, and never shadows your own', async () => {
  const bVersion = await call('bStaff', 'POST', '/api/graphs', { name: 'b studio', draft: (await call('aStaff', 'GET', `/api/graphs/${fx.graphId}/versions/1`)).body.doc });
  assert.equal(bVersion.status, 201);
  const committed = await call('bStaff', 'POST', `/api/graphs/${bVersion.body.id}/versions`, { message: 'v1' });
  assert.equal(committed.status, 201, JSON.stringify(committed.body));
  const mine = await call('bStaff', 'POST', '/api/templates', { graphVersionId: committed.body.id, slug: fx.privateSlug, name: 'B take', priceCredits: 7, visibility: 'public' });
  assert.equal(mine.status, 201, "A's private slug is free for B");
  const again = await call('bStaff', 'POST', '/api/templates', { graphVersionId: committed.body.id, slug: fx.privateSlug, name: 'B take 2', priceCredits: 7 });
  assert.equal(again.status, 409);
  assert.doesNotMatch(JSON.stringify(again.body), /Demo studio|A private/, 'the conflict speaks of B only');
  const forA = await call('aUser', 'GET', `/api/templates/${fx.privateSlug}`);
  assert.equal(forA.body.name, 'A private studio', "A's users still get A's template under that slug");

  // B's public template is usable by A, at B's listed price, charged to A.
  const [{ credit_balance: before }] = await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`);
  const listed = (await call('aUser', 'GET', '/api/templates')).body.find((x: { id: string }) => x.id === mine.body.id);
  assert.equal(listed?.priceCredits, 7, 'the public template is listed with its price');
  const shot = await call('aUser', 'POST', '/api/shoots', photoForm(smallPhoto, { templateId: mine.body.id }));
  assert.equal(shot.status, 202, JSON.stringify(shot.body));
  const [{ credit_balance: afterShot }] = await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`);
  assert.equal(before - afterShot, 7);
});

test('a revoked key stops working at once, on HTTP and on its open socket', async () => {
  const created = await call('aUser', 'POST', '/api/keys', { label: 'laptop' });
  assert.equal(created.status, 201);
  const key: string = created.body.key;
  assert.match(key, /^sf_/);
  const asKey = (path: string) => fetch(`${t.baseUrl}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal((await asKey('/api/shoots')).status, 200, 'the new key works (and is now cached)');
  const socket: Socket = io(t.baseUrl, { auth: { token: key }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const dropped = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));

  assert.equal((await call('aUser2', 'DELETE', `/api/keys/${created.body.id}`)).status, 404, "another end user cannot revoke someone's key");
  assert.equal((await call('bStaff', 'DELETE', `/api/keys/${created.body.id}`)).status, 404, "another tenant's staff cannot");
  const revoked = await call('aUser', 'DELETE', `/api/keys/${created.body.id}`);
  assert.equal(revoked.status, 200);
  assert.equal((await asKey('/api/shoots')).status, 401, 'refused on the very next request');
  await dropped;
  socket.close();
  const listed = (await call('aStaff', 'GET', '/api/keys')).body.find((k: { id: string }) => k.id === created.body.id);
  assert.ok(listed?.revokedAt, 'tenant staff see the revocation');
});

test('metrics need the scrape token or the operator; 20 concurrent scrapes each hold every series', async () => {
  // Let the shoots of the earlier tests finish, so every scrape reads the same data.
  const end = Date.now() + 240_000;
  while ((await sql(`SELECT count(*)::int AS n FROM runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`))[0].n > 0) {
    assert.ok(Date.now() < end, 'runs still active after 240 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const scrape = () => fetch(`${t.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${SCRAPE_TOKEN}` } });
  const first = await scrape();
  assert.equal(first.status, 200);
  const series = (body: string) =>
    body
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.slice(0, l.lastIndexOf(' ')))
      .sort();
  const expected = series(await first.text());
  for (const name of ['studioflow_runs{status="completed"}', 'studioflow_queue_jobs{queue="cpu",state="waiting"}', 'studioflow_credits{kind="charge"}', 'studioflow_dead_letters_open']) {
    assert.ok(expected.includes(name), `${name} is reported`);
  }
  const bodies = await Promise.all(Array.from({ length: 20 }, async () => series(await (await scrape()).text())));
  const missing = bodies.map((b) => expected.filter((s) => !b.includes(s))).filter((m) => m.length > 0);
  assert.equal(missing.length, 0, `${missing.length} of 20 concurrent scrapes lacked a series, e.g. ${missing[0]?.slice(0, 3).join(', ')}`);
  assert.equal((await fetch(`${t.baseUrl}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
});
