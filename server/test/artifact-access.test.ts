/**
 * Every result can be seen: a shoot's artifacts download as images from a storage directory under a
 * dot segment (like the default `.storage`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sep } from 'node:path';
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
