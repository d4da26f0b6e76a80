import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Pool } from 'pg';
import sharp from 'sharp';
import { createApp } from '../src/app';
import { api, sql as sqlOn, startTestApp, type TestApp } from './support/test-app';
import { makeZip, zipNames } from '@studioflow/nodes/testing';

/**
 * Batch catalogs end to end: the real API, PostgreSQL, Redis and a worker process. The catalogs'
 * images are tiny and run through a two-node template (input → deliver), so 1,000 items take minutes.
 */
let t: TestApp;
const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);
const TINY = 'tiny-catalog';
const ADMISSION_LOCK = 7_301_300;
let tenantA = '';
const keys = { otherSeller: 'sf_batch_other_seller', rivalSeller: 'sf_batch_rival_seller' };

before(async () => {
  process.env.BATCH_MAX_TOTAL_BYTES = String(40 * 1024 * 1024);
  t = await startTestApp('batch');
  [{ id: tenantA }] = await sql(`SELECT id FROM tenants WHERE name = 'Demo studio'`);
  await sql(`UPDATE tenants SET credit_balance = 100000 WHERE id = $1`, [tenantA]);
  const [rival] = await sql(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival shop', 100) RETURNING id`);
  await addSeller(tenantA, 'second-seller@a.test', keys.otherSeller);
  await addSeller(rival.id, 'seller@rival.test', keys.rivalSeller);
  // The tiny template: decode at 256 px and deliver (a public one, so the rival shop's seller may use it too).
  const graph = await api(t, '/api/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'tiny catalog',
      draft: {
        nodes: [
          { id: 'input', type: 'input-image', params: { maxSide: 256 } },
          { id: 'deliver', type: 'deliver', params: { thumbnailSize: 64 } },
        ],
        edges: [{ id: 'e1', source: 'input', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' }],
      },
    }),
  });
  assert.equal(graph.status, 201, JSON.stringify(graph.body));
  const version = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(version.status, 201, JSON.stringify(version.body));
  const published = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({
      graphVersionId: version.body.id,
      slug: TINY,
      name: 'Tiny catalog',
      priceCredits: 1,
      visibility: 'public',
      exposedParams: [{ nodeId: 'deliver', param: 'jpegQuality', label: 'JPEG quality' }],
    }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
});
after(async () => t?.stop());

async function addSeller(tenantId: string, email: string, key: string): Promise<void> {
  const [user] = await sql(`INSERT INTO users (tenant_id, email, role) VALUES ($1, $2, 'end_user') RETURNING id`, [tenantId, email]);
  await sql(`INSERT INTO api_keys (user_id, tenant_id, key_hash) VALUES ($1, $2, $3)`, [user.id, tenantId, createHash('sha256').update(key).digest('hex')]);
}

/** Distinct tiny PNGs (each its own colour, so each its own artifact). */
async function images(n: number, offset = 0): Promise<Array<{ name: string; data: Buffer }>> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const k = i + offset;
      const data = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: k % 256, g: Math.floor(k / 256) * 37 % 256, b: 200 } } }).png().toBuffer();
      return { name: `shelf/item-${String(k).padStart(4, '0')}.png`, data };
    }),
  );
}

function batchForm(zip: Buffer, fields: Record<string, string> = { templateId: TINY }, csv?: string): FormData {
  const f = new FormData();
  f.set('archive', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'catalog.zip');
  if (csv !== undefined) f.set('catalog', new Blob([csv], { type: 'text/csv' }), 'catalog.csv');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

async function post(zip: Buffer, o: { fields?: Record<string, string>; csv?: string; key?: string; idempotencyKey?: string } = {}) {
  return api(t, '/api/v1/batches', {
    method: 'POST',
    key: o.key ?? t.userKey,
    body: batchForm(zip, o.fields, o.csv),
    headers: o.idempotencyKey ? { 'Idempotency-Key': o.idempotencyKey } : {},
  });
}

async function balance(tenantId = tenantA): Promise<number> {
  return (await sql(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]))[0].credit_balance;
}

/** Polls the batch until `done` holds for it. */
async function waitFor(id: string, done: (b: any) => boolean, timeoutMs: number, what: string): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, `/api/v1/batches/${id}`, { key: t.userKey });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (done(res.body)) return res.body;
    if (Date.now() > end) throw new Error(`batch ${id}: ${what} not reached in ${timeoutMs} ms: ${JSON.stringify(res.body.progress)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const settled = (b: any) => b.progress.waiting === 0 && b.progress.running === 0;

/** The ledger of a batch's shoots (every run each item had): charges and refunds as positive sums. */
async function ledgerOf(batchId: string): Promise<{ charged: number; refunded: number; refundsPerRun: number }> {
  const [row] = await sql(
    `SELECT coalesce(sum(-amount) FILTER (WHERE kind = 'charge'), 0)::int AS charged, coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)::int AS refunded,
            coalesce(max(n), 0)::int AS "refundsPerRun"
     FROM credit_ledger l
     LEFT JOIN (SELECT run_id, count(*) AS n FROM credit_ledger WHERE kind = 'refund' GROUP BY run_id) r USING (run_id)
     WHERE l.run_id IN (SELECT unnest(earlier_run_ids || run_id) FROM batch_items WHERE batch_id = $1)`,
    [batchId],
  );
  return row;
}

test('bad catalogs get a 4xx listing every problem, and nothing is recorded or charged', async () => {
  const startBalance = await balance();
  const [good, second] = await images(2, 5000);
  const cases: Array<{ name: string; zip: Buffer; csv?: string; status: number; problem: RegExp }> = [
    { name: 'not a zip', zip: Buffer.from('PK? no, just text pretending'), status: 422, problem: /not a readable zip/ },
    { name: 'path traversal', zip: makeZip([good, { name: '../../etc/evil.png', data: second.data }]), status: 422, problem: /unsafe path.*evil\.png/ },
    { name: 'absolute path', zip: makeZip([{ name: '/tmp/abs.png', data: good.data }]), status: 422, problem: /unsafe path/ },
    { name: 'not an image', zip: makeZip([good, { name: 'notes.txt', data: Buffer.from('hello') }]), status: 422, problem: /notes\.txt.*not an image/ },
    { name: 'truncated image', zip: makeZip([{ name: 'half.png', data: good.data.subarray(0, 40) }]), status: 422, problem: /half\.png/ },
    { name: 'empty zip', zip: makeZip([]), status: 422, problem: /no images/ },
    {
      name: 'zip bomb (more bytes uncompressed than a batch takes)',
      zip: makeZip([good, { name: 'bomb.png', data: Buffer.alloc(30 * 1024 * 1024), method: 'deflate' }, { name: 'bomb2.png', data: Buffer.alloc(30 * 1024 * 1024), method: 'deflate' }]),
      status: 413,
      problem: /uncompressed|limit/,
    },
    { name: 'CSV names a missing file', zip: makeZip([good]), csv: `file,title\n${good.name},Red mug\nshelf/missing.png,Blue mug\n`, status: 422, problem: /missing\.png.*not in the zip/ },
    { name: 'CSV without a file column', zip: makeZip([good]), csv: 'title\nRed mug\n', status: 422, problem: /file column/ },
    { name: 'CSV sets a param the template does not expose', zip: makeZip([good]), csv: `file,title,deliver.webpQuality\n${good.name},Red,70\n`, status: 422, problem: /not exposed/ },
    { name: 'CSV sets an exposed param out of range', zip: makeZip([good]), csv: `file,deliver.jpegQuality\n${good.name},5\n`, status: 422, problem: /jpegQuality/ },
  ];
  for (const c of cases) {
    const res = await post(c.zip, { csv: c.csv });
    assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(res.body)}`);
    assert.ok(Array.isArray(res.body.problems) && res.body.problems.length > 0, `${c.name}: problems listed`);
    assert.match(JSON.stringify(res.body.problems), c.problem, c.name);
  }
  const badTraversal = await post(makeZip([{ name: '../a.png', data: good.data }, { name: 'x.txt', data: Buffer.from('x') }]));
  assert.equal(badTraversal.body.problems.length, 2, 'every problem is listed, not only the first');
  assert.equal((await post(makeZip([good]), { fields: {} })).status, 400, 'no template');
  assert.equal((await post(makeZip([good]), { fields: { templateId: 'no-such-template' } })).status, 404);
  assert.equal((await post(makeZip([good]), { fields: { templateId: TINY, params: '{"deliver.jpegQuality": 3}' } })).status, 422);
  const noArchive = await api(t, '/api/v1/batches', { method: 'POST', key: t.userKey, body: (() => { const f = new FormData(); f.set('templateId', TINY); return f; })() });
  assert.equal(noArchive.status, 400, JSON.stringify(noArchive.body));
  // The rival shop has 100 credits: a catalog of 101 at 1 credit each cannot be paid.
  const [rival] = await sql(`SELECT id, credit_balance FROM tenants WHERE name = 'Rival shop'`);
  const unpaid = await post(makeZip(await images(101, 6000)), { key: keys.rivalSeller });
  assert.equal(unpaid.status, 402, JSON.stringify(unpaid.body));
  assert.match(unpaid.body.message, /not enough credits/);
  assert.equal(await balance(rival.id), rival.credit_balance);
  assert.equal(await balance(), startBalance, 'nothing charged');
  assert.deepEqual(await sql(`SELECT count(*)::int AS n FROM batches`), [{ n: 0 }], 'nothing recorded');
});

test('a 1,000-item batch completes with none lost or duplicated and an exact ledger, through an API restart and beside a second API, while another tenant\'s single shoot completes too', async () => {
  const N = 1000;
  const startBalance = await balance();
  // A second API on the same database (its own pools, as another process would have) admits too: they take turns under the advisory lock.
  const second = await createApp(t.config, { logger: false });
  await second.listen(0, '127.0.0.1');
  const items = await images(N);
  const csv = 'file,title\n' + items.map((i, k) => `${i.name},Product ${k}`).join('\n') + '\n';
  const created = await post(makeZip(items), { csv });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  assert.equal(created.body.progress.total, N);

  // Tenant B's single shoot, sent while A's batch is being admitted and run.
  const photo = (await images(1, 9000))[0].data;
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'b.png');
  form.set('templateId', TINY);
  const single = await api(t, '/api/v1/shoots', { method: 'POST', key: keys.rivalSeller, body: form });
  assert.equal(single.status, 202, JSON.stringify(single.body));
  const singleEnd = Date.now() + 300_000;
  let singleStatus = '';
  while (Date.now() < singleEnd) {
    singleStatus = (await api(t, `/api/v1/shoots/${single.body.id}`, { key: keys.rivalSeller })).body.status;
    if (['completed', 'failed', 'cancelled'].includes(singleStatus)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(singleStatus, 'completed', 'tenant B\'s shoot completes');
  const during = (await api(t, `/api/v1/batches/${id}`, { key: t.userKey })).body;
  assert.ok(during.progress.completed < N, `B finished before A's batch did (A: ${JSON.stringify(during.progress)})`);
  // The first API restarts mid-batch: admission goes on from PostgreSQL.
  await t.restartApi();

  // Back-pressure: A never has more runs in flight than its limit (8 by default).
  let peak = 0;
  const done = await (async () => {
    const end = Date.now() + 1_200_000;
    for (;;) {
      const [{ n }] = await sql(`SELECT count(*)::int AS n FROM runs WHERE tenant_id = $1 AND status IN ('queued', 'running')`, [tenantA]);
      peak = Math.max(peak, n);
      const b = (await api(t, `/api/v1/batches/${id}`, { key: t.userKey })).body;
      if (settled(b)) return b;
      if (Date.now() > end) throw new Error(`batch not done: ${JSON.stringify(b.progress)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  await second.close();
  assert.ok(peak <= 8, `at most 8 of A's runs in flight at once (seen ${peak})`);
  assert.deepEqual(done.progress, { total: N, waiting: 0, running: 0, completed: N, failed: 0, cancelled: 0 });
  assert.equal(done.status, 'done');
  const shootIds = done.items.map((i: any) => i.shootId);
  assert.equal(new Set(shootIds).size, N, 'one distinct shoot per item');
  assert.deepEqual(done.items.map((i: any) => i.id), Array.from({ length: N }, (_, k) => k + 1), 'every item, in catalog order');
  assert.equal(done.items[7].title, 'Product 7');
  const [runs] = await sql(`SELECT count(*)::int AS n, count(DISTINCT r.id)::int AS d FROM runs r JOIN batch_items bi ON bi.run_id = r.id WHERE bi.batch_id = $1`, [id]);
  assert.deepEqual(runs, { n: N, d: N }, 'no item ran twice');
  const ledger = await ledgerOf(id);
  assert.deepEqual({ charged: ledger.charged, refunded: ledger.refunded }, { charged: N, refunded: 0 });
  assert.equal(done.chargedCredits, N);
  assert.equal(startBalance - (await balance()), N, 'the balance moved by exactly the items\' price');

  const zip = await fetch(`${t.baseUrl}/api/v1/batches/${id}/results.zip`, { headers: { Authorization: `Bearer ${t.userKey}` } });
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  const names = zipNames(Buffer.from(await zip.arrayBuffer()));
  const expected = items.flatMap((i) => [i.name.replace(/\.png$/, '.jpg'), i.name.replace(/\.png$/, '.webp')]).sort();
  assert.deepEqual([...names].sort(), expected, 'every delivered image, named after its item');

  const listed = await api(t, '/api/v1/batches', { key: t.userKey });
  assert.ok(listed.body.some((b: any) => b.id === id && b.progress.completed === N));
  assert.equal((await api(t, `/api/v1/batches/${id}`, { key: keys.rivalSeller })).status, 404, 'another tenant: 404');
  assert.equal((await api(t, `/api/v1/batches/${id}/results.zip`, { key: keys.rivalSeller })).status, 404);
  assert.equal((await api(t, `/api/v1/batches/${id}`, { key: keys.otherSeller })).status, 404, 'another seller of the same shop: 404');
  assert.equal((await api(t, `/api/v1/batches/${id}`, { key: t.staffKey })).status, 200, 'the shop\'s staff see it');
  assert.ok(!(await api(t, '/api/v1/batches', { key: keys.otherSeller })).body.some((b: any) => b.id === id));
});

test('the same upload with the same Idempotency-Key is the same batch, charged once; another upload with that key is 409', async () => {
  const startBalance = await balance();
  const zip = makeZip(await images(3, 2000));
  const first = await post(zip, { idempotencyKey: 'catalog-2026-12-02' });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const again = await post(zip, { idempotencyKey: 'catalog-2026-12-02' });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.id, first.body.id);
  const other = await post(makeZip(await images(2, 2100)), { idempotencyKey: 'catalog-2026-12-02' });
  assert.equal(other.status, 409, JSON.stringify(other.body));
  const otherParams = await post(zip, { idempotencyKey: 'catalog-2026-12-02', fields: { templateId: TINY, params: '{"deliver.jpegQuality": 80}' } });
  assert.equal(otherParams.status, 409, 'same files, other options: another request');
  await waitFor(first.body.id, settled, 300_000, 'settled');
  assert.equal(startBalance - (await balance()), 3, 'charged once');
  assert.deepEqual(await sql(`SELECT count(*)::int AS n FROM batches WHERE idempotency_key = 'catalog-2026-12-02'`), [{ n: 1 }]);
});

test('cancelling a batch cancels what waits and what runs, and refunds each admitted shoot exactly once', async () => {
  const startBalance = await balance();
  const created = await post(makeZip(await images(40, 3000)));
  assert.equal(created.status, 201);
  const id = created.body.id;
  await waitFor(id, (b) => b.progress.running > 0 || b.progress.completed > 0, 120_000, 'some admitted');
  const cancelled = await api(t, `/api/v1/batches/${id}/cancel`, { method: 'POST', key: t.userKey });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.equal(cancelled.body.status, 'cancelled');
  const done = await waitFor(id, settled, 120_000, 'settled');
  assert.ok(done.progress.cancelled > 0, JSON.stringify(done.progress));
  assert.equal(done.progress.completed + done.progress.cancelled + done.progress.failed, 40);
  const again = await api(t, `/api/v1/batches/${id}/cancel`, { method: 'POST', key: t.userKey });
  assert.equal(again.status, 200, 'cancelling again changes nothing');
  await new Promise((r) => setTimeout(r, 1500)); // a second refund, if there were one, would have landed
  const ledger = await ledgerOf(id);
  const admittedCancelled = done.items.filter((i: any) => i.status === 'cancelled' && i.shootId).length;
  assert.equal(ledger.refunded, admittedCancelled, 'each cancelled shoot refunded');
  assert.ok(ledger.refundsPerRun <= 1, 'never twice');
  assert.equal(ledger.charged - ledger.refunded, done.progress.completed, 'net: only completed items paid');
  assert.equal(startBalance - (await balance()), done.progress.completed);
  assert.equal((await api(t, `/api/v1/batches/${id}/cancel`, { method: 'POST', key: keys.rivalSeller })).status, 404);
});

test('a failed item is retried alone: its failed shoot was refunded, the retry is charged again and completes', async () => {
  const startBalance = await balance();
  const items = await images(3, 4000);
  // Admission held (the test takes the admitter's lock) while one item's stored photo goes missing.
  const lock = new Pool({ connectionString: t.config.databaseUrl, max: 1 });
  const c = await lock.connect();
  await c.query(`SELECT pg_advisory_lock($1)`, [ADMISSION_LOCK]);
  let id = '';
  const victim = items[1];
  const hash = createHash('sha256').update(victim.data).digest('hex');
  const path = join(t.config.storageDir, hash.slice(0, 2), hash.slice(2, 4), hash);
  try {
    const created = await post(makeZip(items));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    id = created.body.id;
    assert.equal(created.body.progress.waiting, 3, 'nothing admitted while the lock is held');
    await rm(path);
  } finally {
    await c.query(`SELECT pg_advisory_unlock($1)`, [ADMISSION_LOCK]);
    c.release();
    await lock.end();
  }
  const failed = await waitFor(id, settled, 300_000, 'settled');
  assert.deepEqual({ completed: failed.progress.completed, failed: failed.progress.failed }, { completed: 2, failed: 1 });
  const bad = failed.items.find((i: any) => i.status === 'failed');
  assert.equal(bad.id, 2);
  assert.ok(bad.error, 'the failure says why');
  assert.equal(startBalance - (await balance()), 2, 'the failed shoot was refunded');
  const notFailed = await api(t, `/api/v1/batches/${id}/items/1/retry`, { method: 'POST', key: t.userKey });
  assert.equal(notFailed.status, 409, 'only a failed item is retried');
  assert.equal((await api(t, `/api/v1/batches/${id}/items/99/retry`, { method: 'POST', key: t.userKey })).status, 404);

  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, victim.data);
  const retried = await api(t, `/api/v1/batches/${id}/items/2/retry`, { method: 'POST', key: t.userKey });
  assert.equal(retried.status, 202, JSON.stringify(retried.body));
  assert.equal(retried.body.attempts, 2);
  const done = await waitFor(id, (b) => settled(b) && b.progress.completed === 3, 300_000, 'retried item completed');
  assert.notEqual(done.items[1].shootId, bad.shootId, 'a new shoot');
  assert.equal(startBalance - (await balance()), 3, 'charged again for the retry, once');
  const ledger = await ledgerOf(id);
  assert.deepEqual({ charged: ledger.charged, refunded: ledger.refunded }, { charged: 4, refunded: 1 });
});
