import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import sharp from 'sharp';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, deadline, startTestApp, type TestApp, sql as sqlOn } from './support/test-app';

// Bad input gets a clear 4xx at once, never a 500, a late failure, or a charge.
let t: TestApp;
const logs: Array<{ level: string; message: string; extra: unknown[] }> = [];

before(async () => {
  // One upload at a time, so one held-open upload makes the next one wait.
  process.env.MAX_CONCURRENT_UPLOADS = '1';
  // No worker until the cancel test needs one: shoots stay queued until then.
  t = await startTestApp('badinput', { workers: 0 });
  const capture = (level: string) => (message: unknown, ...extra: unknown[]) => logs.push({ level, message: String(message), extra });
  const logger: LoggerService = { log: capture('log'), warn: capture('warn'), error: capture('error'), debug: capture('debug'), verbose: capture('verbose') };
  t.app.useLogger(logger);
});
after(async () => t?.stop());

function form(image: Buffer | null, fields: Record<string, string>, type = 'image/png'): FormData {
  const f = new FormData();
  if (image) f.set('image', new Blob([new Uint8Array(image)], { type }), 'photo.png');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);

async function balance(): Promise<number> {
  return (await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance;
}

async function runCount(): Promise<number> {
  return Number((await sql(`SELECT count(*) AS n FROM runs`))[0].n);
}

/** `{"a":[[[…]]]}` nested `depth` levels below the key, as raw JSON text (30 KB at 5,000). */
function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

async function rawPost(path: string, method: string, body: string): Promise<{ status: number; body: any }> {
  return api(t, path, { method, body });
}

async function tmpEmpty(): Promise<void> {
  const dir = join(t.config.storageDir, 'tmp');
  const check = async () => {
    for (;;) {
      const left = await readdir(dir).catch(() => [] as string[]);
      if (left.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.race([check(), deadline(30_000, `temp files left in ${dir}`)]);
}

/** An upload that sends 4 MB of a 20 MB image and then stalls, until `hangUp`; resolves once it is being written to a temp file. */
async function stalledUpload(): Promise<{ hangUp(): void }> {
  const upload = startStalledUpload();
  const dir = join(t.config.storageDir, 'tmp');
  const streaming = async () => {
    while ((await readdir(dir).catch(() => [] as string[])).length === 0) await new Promise((r) => setTimeout(r, 50));
  };
  await Promise.race([streaming(), deadline(30_000, `no temp file appeared in ${dir}`)]);
  return upload;
}

function startStalledUpload(): { hangUp(): void } {
  const boundary = 'sf-stalled-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="templateId"\r\n\r\nwhite-studio\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
  const url = new URL(t.baseUrl);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: '/api/shoots',
    method: 'POST',
    headers: { Authorization: `Bearer ${t.userKey}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(20 * 1024 * 1024) },
  });
  req.on('error', () => undefined);
  req.write(head);
  req.write(Buffer.alloc(4 * 1024 * 1024, 1));
  return { hangUp: () => req.destroy() };
}

test('JSON nested 5,000 deep is a 400 at the edge on graph create, draft save and validate', async () => {
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'shallow' }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const cases = [
    { path: '/api/graphs', method: 'POST', body: `{"name":"deep","draft":{"nodes":${nested(5000)},"edges":[]}}` },
    { path: `/api/graphs/${created.body.id}/draft`, method: 'PUT', body: `{"draft":{"nodes":${nested(5000)},"edges":[]}}` },
    { path: '/api/graphs/validate', method: 'POST', body: `{"graph":{"nodes":${nested(5000)},"edges":[]}}` },
    // Objects count as much as arrays.
    { path: '/api/graphs/validate', method: 'POST', body: `{"graph":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}` },
  ];
  for (const c of cases) {
    const res = await rawPost(c.path, c.method, c.body);
    assert.equal(res.status, 400, `${c.method} ${c.path}: ${JSON.stringify(res.body).slice(0, 300)}`);
    assert.match(res.body.message, /nested deeper than 64/);
  }
  // The limit is 64 levels: a 60-deep value inside the body still reaches the handler.
  const ok = await rawPost('/api/graphs/validate', 'POST', `{"graph":{"nodes":[],"edges":[],"meta":${nested(60)}}}`);
  assert.equal(ok.status, 200, JSON.stringify(ok.body).slice(0, 300));
  const draft = await rawPost(`/api/graphs/${created.body.id}/draft`, 'PUT', `{"draft":{"nodes":[],"edges":[]}}`);
  assert.equal(draft.status, 200, JSON.stringify(draft.body).slice(0, 300));
});

test('a deeply nested params field on a shoot is a 400 too', async () => {
  const photo = (await makeProductPhoto({ seed: 5, width: 320, height: 240 })).jpeg;
  const res = await api(t, '/api/shoots', {
    method: 'POST',
    key: t.userKey,
    body: form(photo, { templateId: 'white-studio', params: `{"composite.fill":${nested(5000)}}` }, 'image/jpeg'),
  });
  assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
  assert.match(res.body.message, /nested deeper than 64/);
});

test('a JSON body over 2 MB is a 413 that says so; malformed JSON is a 400', async () => {
  const big = JSON.stringify({ name: 'big', description: 'x'.repeat(3 * 1024 * 1024) });
  const res = await rawPost('/api/graphs', 'POST', big);
  assert.equal(res.status, 413, JSON.stringify(res.body).slice(0, 300));
  assert.match(res.body.message, /larger than the 2 MB limit/);
  const broken = await rawPost('/api/graphs', 'POST', '{"name": ');
  assert.equal(broken.status, 400, JSON.stringify(broken.body).slice(0, 300));
});

test('query params are validated: GET /api/shoots?limit= must be an integer 1..200', async () => {
  for (const limit of ['-1', '0', '201', 'abc', '1.5', '', '1e400']) {
    const res = await api(t, `/api/shoots?limit=${encodeURIComponent(limit)}`, { key: t.userKey });
    assert.equal(res.status, 400, `limit=${limit}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.message, /limit/, `limit=${limit}`);
  }
  const ok = await api(t, '/api/shoots?limit=2', { key: t.userKey });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.ok(Array.isArray(ok.body));
  assert.equal((await api(t, '/api/shoots', { key: t.userKey })).status, 200, 'limit is optional');
});

test('path numbers out of range are a 400 or 404, not a 500', async () => {
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'versions' }) });
  for (const version of ['99999999999', '-1', '0']) {
    const res = await api(t, `/api/graphs/${created.body.id}/versions/${version}`);
    assert.ok(res.status === 400 || res.status === 404, `version ${version}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const letter = await api(t, '/api/dead-letters/99999999999999999999/discard', { method: 'POST' });
  assert.ok(letter.status === 400 || letter.status === 404, `dead letter: ${letter.status} ${JSON.stringify(letter.body)}`);
});

test('images below the input node minimum (1×1, 8×8, 20000×2) are a 422 before any charge', async () => {
  const startBalance = await balance();
  const startRuns = await runCount();
  for (const [width, height] of [
    [1, 1],
    [8, 8],
    [20000, 2],
  ]) {
    const png = await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer();
    const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(png, { templateId: 'white-studio' }) });
    assert.equal(res.status, 422, `${width}×${height}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.message, new RegExp(`${width}x${height}`), `${width}×${height}`);
    assert.match(res.body.message, /too small|too elongated/);
  }
  assert.equal(await balance(), startBalance, 'nothing charged');
  assert.equal(await runCount(), startRuns, 'no run created');
  await tmpEmpty();
  // The smallest accepted photo under the same rule goes through.
  const smallest = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).png().toBuffer();
  const ok = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(smallest, { templateId: 'white-studio' }) });
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
});

test('a user-supplied value is echoed at most ~100 characters in an error', async () => {
  const photo = (await makeProductPhoto({ seed: 6, width: 320, height: 240 })).jpeg;
  const longId = 'x'.repeat(100_000);
  const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(photo, { templateId: longId }, 'image/jpeg') });
  assert.equal(res.status, 404);
  assert.ok(/^unknown template "x{100}…"$/.test(res.body.message), String(res.body.message).slice(0, 300));
  const graph = await api(t, `/api/graphs/${'y'.repeat(5000)}`);
  assert.equal(graph.status, 404);
  assert.ok(graph.body.message.length < 160, graph.body.message);
  const shoot = await api(t, `/api/shoots/${'z'.repeat(5000)}`, { key: t.userKey });
  assert.equal(shoot.status, 404);
  assert.ok(shoot.body.message.length < 160, shoot.body.message);
  const param = await api(t, '/api/shoots', {
    method: 'POST',
    key: t.userKey,
    body: form(photo, { templateId: 'white-studio', params: JSON.stringify({ ['k'.repeat(50_000)]: 1 }) }, 'image/jpeg'),
  });
  assert.equal(param.status, 422);
  assert.ok(param.body.message.length < 400, param.body.message.slice(0, 400));
});

test('client errors are logged at warn on one line without a stack; none at error', async () => {
  logs.length = 0;
  await rawPost('/api/graphs', 'POST', JSON.stringify({ name: 'big', description: 'x'.repeat(3 * 1024 * 1024) }));
  await api(t, '/api/shoots?limit=-1', { key: t.userKey });
  await api(t, `/api/artifacts/${'0'.repeat(64)}`, { key: t.userKey });
  // A row whose file is gone: the 404 comes from res.sendFile, not from our code.
  const [tenant] = await sql(`SELECT id FROM tenants WHERE name = 'Demo studio'`);
  const hash = 'f'.repeat(64);
  await sql(`INSERT INTO artifacts (tenant_id, hash, mime, bytes, node_id) VALUES ($1, $2, 'image/png', 1, 'upload')`, [tenant.id, hash]);
  const missing = await api(t, `/api/artifacts/${hash}`, { key: t.userKey });
  assert.equal(missing.status, 404);
  const warns = logs.filter((l) => l.level === 'warn');
  assert.deepEqual(
    logs.filter((l) => l.level === 'error').map((l) => l.message),
    [],
    'no client error is logged at error',
  );
  for (const status of [413, 400, 404]) assert.ok(warns.some((w) => w.message.includes(` ${status} `)), `a warn line for the ${status}: ${JSON.stringify(warns)}`);
  for (const w of warns) {
    assert.ok(!w.message.includes('\n'), `one line: ${w.message}`);
    assert.ok(!/\bat \S+ \(/.test(JSON.stringify(w)), `no stack: ${JSON.stringify(w)}`);
  }
});

test('an upload over MAX_UPLOAD_BYTES is a 413 and leaves no temp file', async () => {
  const tooBig = Buffer.alloc(t.config.maxUploadBytes + 1024 * 1024, 7);
  const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(tooBig, { templateId: 'white-studio' }) });
  assert.equal(res.status, 413, JSON.stringify(res.body));
  assert.match(res.body.message, /40 MB/);
  await tmpEmpty();
});

test('an upload the client abandons halfway leaves no temp file', async () => {
  const upload = await stalledUpload();
  upload.hangUp();
  await tmpEmpty();
});

test('uploads beyond MAX_CONCURRENT_UPLOADS wait for a slot; one not given a slot in time gets 503 with Retry-After', async () => {
  const photo = (await makeProductPhoto({ seed: 9, width: 320, height: 240 })).jpeg;
  const submit = () => fetch(`${t.baseUrl}/api/shoots`, { method: 'POST', headers: { Authorization: `Bearer ${t.userKey}` }, body: form(photo, { templateId: 'white-studio' }, 'image/jpeg') });
  const holder = await stalledUpload();
  const refused = await submit();
  const text = await refused.text();
  assert.equal(refused.status, 503, text);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.match(JSON.parse(text).message, /too many uploads/);
  holder.hangUp();
  await tmpEmpty();

  const holder2 = await stalledUpload();
  let answered = false;
  const waiting = submit().finally(() => (answered = true));
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(answered, false, 'the second upload waits while the slot is taken');
  holder2.hangUp();
  const served = await waiting;
  assert.equal(served.status, 202, await served.text());
  await tmpEmpty();
});

test('a client that hangs up while waiting for an upload slot does not keep the slot', async () => {
  const holder = await stalledUpload();
  const waiter = startStalledUpload();
  await new Promise((r) => setTimeout(r, 1000));
  waiter.hangUp();
  await new Promise((r) => setTimeout(r, 500));
  holder.hangUp();
  await tmpEmpty();
  const photo = (await makeProductPhoto({ seed: 10, width: 320, height: 240 })).jpeg;
  const next = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(photo, { templateId: 'white-studio' }, 'image/jpeg') });
  assert.equal(next.status, 202, JSON.stringify(next.body));
});

test('cancelling a run that already finished is a 409 with its state; a live one is a 202', async () => {
  const photo = (await makeProductPhoto({ seed: 8, width: 320, height: 240 })).jpeg;
  const queued = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form(photo, { templateId: 'white-studio' }, 'image/jpeg') });
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  const cancel = await api(t, `/api/shoots/${queued.body.runId}/cancel`, { method: 'POST', key: t.userKey });
  assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
  assert.equal(cancel.body.cancelled, true);
  const again = await api(t, `/api/shoots/${queued.body.runId}/cancel`, { method: 'POST', key: t.userKey });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.deepEqual(again.body, { statusCode: 409, message: `shoot ${queued.body.runId} is already cancelled`, status: 'cancelled' });

  // A completed run: a staff test run of input → deliver on a real worker.
  await t.startWorker();
  const graph = await api(t, '/api/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'tiny',
      draft: {
        nodes: [
          { id: 'in', type: 'input-image' },
          { id: 'out', type: 'deliver' },
        ],
        edges: [{ id: 'e', source: 'in', sourceHandle: 'image', target: 'out', targetHandle: 'image' }],
      },
    }),
  });
  const version = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(version.status, 201, JSON.stringify(version.body));
  const f = form(photo, { graphVersionId: version.body.id }, 'image/jpeg');
  const run = await api(t, '/api/runs', { method: 'POST', body: f });
  assert.equal(run.status, 202, JSON.stringify(run.body));
  const done = (async () => {
    for (;;) {
      const poll = await api(t, `/api/runs/${run.body.runId}`);
      if (poll.body.status === 'completed' || poll.body.status === 'failed') return poll.body.status as string;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  assert.equal(await Promise.race([done, deadline(120_000, 'the test run did not finish within 120 s')]), 'completed');
  const late = await api(t, `/api/shoots/${run.body.runId}/cancel`, { method: 'POST' });
  assert.equal(late.status, 409, JSON.stringify(late.body));
  assert.equal(late.body.status, 'completed');
  assert.match(late.body.message, /is already completed/);
  assert.equal((await api(t, `/api/runs/${run.body.runId}`)).body.status, 'completed', 'the run is untouched');
});

test('staged files left by a process that died mid-upload are removed when the API starts; fresh ones are not', async () => {
  const dir = join(t.config.storageDir, 'tmp');
  await mkdir(dir, { recursive: true });
  const stale = join(dir, 'left-by-a-crash.upload');
  const fresh = join(dir, 'another-process-receiving.upload');
  await writeFile(stale, Buffer.alloc(1024));
  await writeFile(fresh, Buffer.alloc(1024));
  const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
  await utimes(stale, twoHoursAgo, twoHoursAgo);
  await t.restartApi();
  const swept = async () => {
    while ((await readdir(dir)).includes('left-by-a-crash.upload')) await new Promise((r) => setTimeout(r, 100));
  };
  await Promise.race([swept(), deadline(30_000, 'the stale staged file is still there')]);
  assert.deepEqual(await readdir(dir), ['another-process-receiving.upload']);
});
