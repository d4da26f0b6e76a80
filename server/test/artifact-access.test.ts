/**
 * Every result can be seen: a shoot's artifacts download as images from a storage directory under a
 * dot segment (like the default `.storage`), by the short-lived signed URLs the API hands out (no API
 * key, so keys never travel in URLs), while forged, foreign and expired links are refused uncached.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import sharp from 'sharp';
import { io } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { ArtifactUrls } from '../src/artifacts/artifact-urls';
import { api, deadline, startTestApp, type TestApp, sql as sqlOn } from './support/test-app';

let t: TestApp;
/** The finished shoot's detail as the end user sees it. */
let shoot: { id: string; results: Record<string, string>; nodes: Array<{ nodeId: string; outputs: Record<string, any> }> };

before(async () => {
  t = await startTestApp('artifacts');
  const photo = await makeProductPhoto({ seed: 11, width: 800, height: 600, kind: 'bottle' });
  const body = new FormData();
  body.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  body.set('templateId', 'white-studio');
  const submitted = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const end = Date.now() + 120_000;
  for (;;) {
    const res = await api(t, `/api/shoots/${submitted.body.runId}`, { key: t.userKey });
    if (res.body.status === 'completed') {
      shoot = res.body;
      break;
    }
    assert.ok(!['failed', 'cancelled'].includes(res.body.status), `the shoot ended ${res.body.status}: ${res.body.error}`);
    assert.ok(Date.now() < end, `the shoot is still ${res.body.status} after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
after(async () => t?.stop());

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);

/** The artifact path of a result URL, without any query. */
const plain = (url: string) => url.split('?')[0];

test('a produced artifact downloads as a decodable image while the storage sits under a dot directory', async () => {
  assert.ok(t.config.storageDir.split(sep).some((part) => part.startsWith('.')), `${t.config.storageDir} has a dot segment`);
  const res = await fetch(`${t.baseUrl}${plain(shoot.results.jpeg)}`, { headers: { Authorization: `Bearer ${t.staffKey}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.ok((meta.width ?? 0) > 0 && (meta.height ?? 0) > 0, `decoded ${meta.width}×${meta.height}`);
});

test('only a served artifact is cacheable: every refusal from the artifacts route is no-store', async () => {
  const url = `${t.baseUrl}${plain(shoot.results.jpeg)}`;
  const served = await fetch(url, { headers: { Authorization: `Bearer ${t.staffKey}` } });
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  await served.arrayBuffer();
  const refusals: Array<[string, string, Record<string, string>, number]> = [
    ['no key', url, {}, 401],
    ['an unknown key', url, { Authorization: 'Bearer sf_nobody' }, 401],
    ['not a hash', `${t.baseUrl}/api/artifacts/not-a-hash`, { Authorization: `Bearer ${t.staffKey}` }, 404],
    ['an unknown hash', `${t.baseUrl}/api/artifacts/${'0'.repeat(64)}`, { Authorization: `Bearer ${t.staffKey}` }, 404],
    ['a known artifact whose file is gone', `${t.baseUrl}/api/artifacts/${'f'.repeat(64)}`, { Authorization: `Bearer ${t.staffKey}` }, 404],
  ];
  await sql(
    `INSERT INTO artifacts (tenant_id, hash, mime, bytes) SELECT tenant_id, $1, 'image/png', 1 FROM artifacts WHERE hash = $2`,
    ['f'.repeat(64), plain(shoot.results.jpeg).split('/').pop()],
  );
  for (const [name, target, headers, status] of refusals) {
    const res = await fetch(target, { headers });
    assert.equal(res.status, status, name);
    assert.equal(res.headers.get('cache-control'), 'no-store', name);
    await res.arrayBuffer();
  }
});

test('every answer says nosniff and none names the framework', async () => {
  const answers = [
    await fetch(`${t.baseUrl}${plain(shoot.results.jpeg)}`, { headers: { Authorization: `Bearer ${t.staffKey}` } }),
    await fetch(`${t.baseUrl}/api/artifacts/${'0'.repeat(64)}`, { headers: { Authorization: `Bearer ${t.staffKey}` } }),
    await fetch(`${t.baseUrl}/api/health`),
    await fetch(`${t.baseUrl}/api/shoots`),
    await fetch(`${t.baseUrl}/api/no-such-route`),
    await fetch(`${t.baseUrl}/`),
    await fetch(`${t.baseUrl}/admin/queues`),
    await fetch(`${t.baseUrl}/socket.io/?EIO=4&transport=polling`),
  ];
  for (const res of answers) {
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${res.url} (${res.status})`);
    assert.equal(res.headers.get('x-powered-by'), null, `${res.url} (${res.status})`);
    await res.arrayBuffer();
  }
  assert.deepEqual(answers.map((r) => r.status), [200, 404, 200, 401, 404, 200, 401, 200]);
});

async function download(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}${path}`, { headers });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

test('a signed URL from the API downloads with no key: image bytes, cacheable for good', async () => {
  const result = await download(shoot.results.jpeg);
  assert.equal(result.status, 200);
  assert.equal(result.type, 'image/jpeg');
  assert.equal(result.cacheControl, 'private, max-age=31536000, immutable');
  assert.equal((await sharp(result.bytes).metadata()).format, 'jpeg');

  // The node outputs the editor shows carry their own signed URLs, intermediate artifacts included.
  const composite = shoot.nodes.find((n) => n.nodeId === 'composite')!;
  const image = Object.values(composite.outputs).find((v) => v?.mime?.startsWith('image/'));
  assert.match(image.url, /^\/api\/artifacts\/[a-f0-9]{64}\?t=[-a-f0-9]{36}&exp=\d+&sig=[\w-]{43}$/);
  assert.ok(image.url.includes(image.hash));
  const intermediate = await download(image.url);
  assert.equal(intermediate.status, 200);
  assert.ok(((await sharp(intermediate.bytes).metadata()).width ?? 0) > 0);

  const list = await api(t, '/api/shoots', { key: t.userKey });
  const listed = list.body.find((r: { id: string }) => r.id === shoot.id);
  assert.equal((await download(listed.results.webp)).type, 'image/webp', 'the list hands out working URLs too');
});

test('a signed URL with download=<name> comes as an attachment under that name; a name with a path is 400', async () => {
  const saved = await fetch(`${t.baseUrl}${shoot.results.jpeg}&download=shoot-1.jpg`);
  assert.equal(saved.status, 200);
  assert.equal(saved.headers.get('content-disposition'), 'attachment; filename="shoot-1.jpg"');
  assert.equal((await sharp(Buffer.from(await saved.arrayBuffer())).metadata()).format, 'jpeg');
  const bad = await fetch(`${t.baseUrl}${shoot.results.jpeg}&download=${encodeURIComponent('../x"y.jpg')}`);
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
});

test('forged, foreign and expired links are refused and never cached', async () => {
  const signed = new URL(shoot.results.jpeg, t.baseUrl);
  const hash = signed.pathname.split('/').pop()!;
  const tenantId = signed.searchParams.get('t')!;
  const [rival] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival', 0) RETURNING id`);
  const urls = t.app.get(ArtifactUrls);
  const ttlMs = t.config.artifactUrlTtlS * 1000;
  const altered = (name: string, value: string) => {
    const u = new URL(signed);
    u.searchParams.set(name, value);
    return `${u.pathname}${u.search}`;
  };
  const sig = signed.searchParams.get('sig')!;
  const refusals: Array<[string, string, number]> = [
    ['a tampered signature', altered('sig', `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`), 404],
    ['another tenant in t=', altered('t', rival.id), 404],
    ['a later expiry', altered('exp', String(Number(signed.searchParams.get('exp')) + 86_400)), 404],
    ['another hash under the same signature', `/api/artifacts/${'0'.repeat(64)}${signed.search}`, 404],
    ['a well-signed link for a tenant that does not own the artifact', urls.url(hash, rival.id), 404],
    ['an expired link', urls.url(hash, tenantId, Date.now() - 3 * ttlMs), 403],
  ];
  for (const [name, path, status] of refusals) {
    const res = await download(path);
    assert.equal(res.status, status, name);
    assert.equal(res.cacheControl, 'no-store', name);
    assert.equal(res.type?.startsWith('image/'), false, name);
  }
  assert.equal((await download(urls.url(hash, tenantId))).status, 200, 'a fresh link for the owner works');
});

test('API keys never travel in URLs: ?key= is refused, a key in a header still works', async () => {
  const path = plain(shoot.results.jpeg);
  const inUrl = await download(`${path}?key=${t.userKey}`);
  assert.equal(inUrl.status, 401);
  assert.equal(inUrl.cacheControl, 'no-store');
  assert.equal((await download(`/api/shoots/${shoot.id}?key=${t.userKey}`)).status, 401, 'nor anywhere else in the API');
  assert.equal((await download(path, { Authorization: `Bearer ${t.staffKey}` })).status, 200);
  assert.equal((await download(path, { 'x-api-key': t.staffKey })).status, 200);
});

test('the socket takes the key from the handshake payload, not from its URL', async () => {
  const inUrl = io(t.baseUrl, { query: { token: t.userKey }, transports: ['websocket'] });
  const dropped = new Promise<string>((resolve) => inUrl.on('disconnect', (reason) => resolve(reason)));
  assert.equal(await Promise.race([dropped, deadline(30_000, 'a key in the socket URL was not refused')]), 'io server disconnect');
  inUrl.close();
  const inPayload = io(t.baseUrl, { auth: { token: t.userKey }, transports: ['websocket'] });
  try {
    const ack = await Promise.race([inPayload.emitWithAck('subscribe', { runId: shoot.id }), deadline(30_000, 'no subscribe answer')]);
    assert.equal(ack.ok, true);
  } finally {
    inPayload.close();
  }
});

test('a signed URL keeps working after the API restarts (the secret is stored, not drawn per process)', async () => {
  await t.restartApi();
  const res = await download(shoot.results.jpeg);
  assert.equal(res.status, 200);
  assert.equal(res.type, 'image/jpeg');
});
