/**
 * Every result can be seen: a shoot's artifacts download as images from a storage directory under a
 * dot segment (like the default `.storage`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import { Pool } from 'pg';
import sharp from 'sharp';
import { makeProductPhoto } from '@studioflow/nodes';
import { api, startTestApp, type TestApp } from './support/test-app';

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
    const res = await api(t, `/api/shoots/${submitted.body.taskId}`, { key: t.userKey });
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

async function sql(text: string, params: unknown[] = []): Promise<any[]> {
  const pool = new Pool({ connectionString: t.config.databaseUrl, max: 1 });
  try {
    return (await pool.query(text, params)).rows;
  } finally {
    await pool.end();
  }
}

/** The artifact path of a result URL, without any query. */
const plain = (url: string) => url.split('?')[0];

test('a produced artifact downloads as a decodable image while the storage sits under a dot directory', async () => {
  assert.ok(t.config.storageDir.split(sep).some((part) => part.startsWith('.')), `${t.config.storageDir} has a dot segment`);
  const res = await fetch(`${t.baseUrl}${plain(shoot.results.jpeg)}`, { headers: { Authorization: `Bearer ${t.userKey}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.ok((meta.width ?? 0) > 0 && (meta.height ?? 0) > 0, `decoded ${meta.width}×${meta.height}`);
});

test('only a served artifact is cacheable: every refusal from the artifacts route is no-store', async () => {
  const url = `${t.baseUrl}${plain(shoot.results.jpeg)}`;
  const served = await fetch(url, { headers: { Authorization: `Bearer ${t.userKey}` } });
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('cache-control'), 'private, max-age=31536000, immutable');
  await served.arrayBuffer();
  const refusals: Array<[string, string, Record<string, string>, number]> = [
    ['no key', url, {}, 401],
    ['an unknown key', url, { Authorization: 'Bearer sf_nobody' }, 401],
    ['not a hash', `${t.baseUrl}/api/artifacts/not-a-hash`, { Authorization: `Bearer ${t.userKey}` }, 404],
    ['an unknown hash', `${t.baseUrl}/api/artifacts/${'0'.repeat(64)}`, { Authorization: `Bearer ${t.userKey}` }, 404],
    ['a known artifact whose file is gone', `${t.baseUrl}/api/artifacts/${'f'.repeat(64)}`, { Authorization: `Bearer ${t.userKey}` }, 404],
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
    await fetch(`${t.baseUrl}${plain(shoot.results.jpeg)}`, { headers: { Authorization: `Bearer ${t.userKey}` } }),
    await fetch(`${t.baseUrl}/api/artifacts/${'0'.repeat(64)}`, { headers: { Authorization: `Bearer ${t.userKey}` } }),
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
