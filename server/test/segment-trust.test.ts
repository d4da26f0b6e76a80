import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import type { ShootView } from '@studioflow/runtime/graph';
import { api, startTestApp, type TestApp } from './support/test-app';

/** A real photo the built-in matte breaks apart (nodes/test/photos/README.md says where it is from). */
const boardOnDesk = readFileSync(join(__dirname, '..', '..', '..', 'nodes', 'test', 'photos', 'board-on-desk.jpg'));
const reviewerKey = 'sf_reviewer_dev';
const sellerKey = 'sf_user_dev';

let t: TestApp;
let pool: Pool;

function studio(segmentParams: Record<string, unknown>, review: boolean) {
  const last = review ? 'review' : 'composite';
  return {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'segment', type: 'segment', params: { method: 'classical', ...segmentParams } },
      { id: 'composite', type: 'studio-composite' },
      ...(review ? [{ id: 'review', type: 'human-review', params: { park: 'doubtful' } }] : []),
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      ...(review ? [{ source: 'composite', sourceHandle: 'image', target: 'review', targetHandle: 'image' }] : []),
      { source: last, sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  };
}

async function version(name: string, draft: unknown) {
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name, draft }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return api(t, `/api/graphs/${created.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: name }) });
}

async function publish(slug: string, draft: unknown) {
  const v = await version(slug, draft);
  assert.equal(v.status, 201, JSON.stringify(v.body));
  const published = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: v.body.id, slug, name: slug, priceCredits: 2, exposedParams: [] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
}

before(async () => {
  t = await startTestApp('segtrust');
  pool = new Pool({ connectionString: t.config.databaseUrl, max: 2 });
  await publish('trust-plain', studio({}, false));
  await publish('trust-reviewed', studio({ trustCheck: 'review' }, true));
});
after(async () => {
  await pool?.end();
  await t?.stop();
});

function form(image: Buffer, templateId: string): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  f.set('templateId', templateId);
  return f;
}

async function shoot(image: Buffer, templateId: string): Promise<string> {
  const res = await api(t, '/api/shoots', { method: 'POST', key: sellerKey, body: form(image, templateId) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.runId;
}

async function until(id: string, statuses: string[], key = sellerKey): Promise<ShootView & Record<string, any>> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const res = await api(t, `/api/shoots/${id}`, { key });
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`shoot ${id} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const ledgerNet = async (runId: string) => (await pool.query(`SELECT coalesce(sum(amount), 0)::int AS net, count(*)::int AS n FROM credit_ledger WHERE run_id = $1`, [runId])).rows[0] as { net: number; n: number };

test('a real photo whose built-in cut-out cannot be trusted fails the shoot with the reason and a hint, and the ledger nets to zero', async () => {
  const id = await shoot(boardOnDesk, 'trust-plain');
  const failed = await until(id, ['failed']);
  assert.match(failed.error ?? '', /can't be trusted .*npx studioflow models install isnet-medium --accept-licence agpl-3\.0.*plainer background/s);
  assert.equal(failed.nodes.find((n) => n.nodeId === 'deliver')?.state, 'skipped', 'nothing was delivered');
  const ledger = await ledgerNet(id);
  assert.deepEqual(ledger, { net: 0, n: 2 }, 'one charge and one refund of the same amount');
  assert.equal(failed.refundedCredits, 2);
});

test('a trusted cut-out delivers, and the seller\'s shoot says the built-in matte made it', async () => {
  const photo = await makeProductPhoto({ seed: 31, width: 800, height: 600 });
  const id = await shoot(photo.jpeg, 'trust-plain');
  const done = await until(id, ['completed']);
  assert.equal(done.cutout?.method, 'classical');
  assert.equal(done.cutout?.model, null);
  assert.equal(done.cutout?.licence, 'built-in (no model)');
  assert.equal(done.cutout?.trust?.verdict, 'trusted');
  assert.ok((done.cutout?.trust?.score ?? 0) >= 0.5);
});

test('with a review that parks on doubt, the doubtful cut-out waits for a person (the shot made from it shown) and a trusted one passes on', async () => {
  const trusted = await shoot((await makeProductPhoto({ seed: 32, width: 800, height: 600 })).jpeg, 'trust-reviewed');
  const doubtful = await shoot(boardOnDesk, 'trust-reviewed');
  const parked = await until(doubtful, ['awaiting_review']);
  assert.equal(parked.cutout?.trust?.verdict, 'doubtful');
  assert.ok(parked.cutout?.trust?.reason, 'the seller sees why');
  const passed = await until(trusted, ['completed']);
  const decision = passed.nodes.find((n) => n.nodeId === 'review')?.outputs?.decision as { note?: string } | undefined;
  assert.match(decision?.note ?? '', /passed without review/);

  const item = await api(t, `/api/reviews/${doubtful}`, { key: reviewerKey });
  assert.equal(item.status, 200, JSON.stringify(item.body));
  assert.equal(item.body.open[0]?.candidates.length, 1, 'the reviewer sees the shot made from the cut-out');
  const doubts = item.body.open[0]?.doubts as Array<{ nodeId: string; port: string; image: { url: string; mime: string }; reason: string }>;
  assert.deepEqual(doubts.map((d) => `${d.nodeId}.${d.port}`), ['segment.cutout'], 'the reviewer sees the doubtful cut-out itself, once');
  assert.equal(doubts[0].image.mime, 'image/png');
  assert.equal(doubts[0].reason, parked.cutout?.trust?.reason, 'with the reason the seller reads');
  const cut = await fetch(`${t.baseUrl}${doubts[0].image.url}`);
  assert.equal(cut.status, 200, 'its signed link opens');
  const reject = await api(t, `/api/reviews/${doubtful}/review`, { method: 'POST', key: reviewerKey, body: JSON.stringify({ decision: 'reject', note: 'cut-out broken' }) });
  assert.equal(reject.status, 201, JSON.stringify(reject.body));
  await until(doubtful, ['failed']);
  assert.deepEqual(await ledgerNet(doubtful), { net: 0, n: 2 });
});

test('a graph that sends doubtful cut-outs to review without a review node is refused', async () => {
  const v = await version('unreviewed', studio({ trustCheck: 'review' }, false));
  assert.ok(v.status >= 400 && v.status < 500, `status ${v.status}`);
  assert.match(JSON.stringify(v.body), /unreviewed_doubt|no human review node follows it/);
});
