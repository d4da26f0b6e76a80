import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { Pool } from 'pg';
import sharp from 'sharp';
import type { ReviewAuditEntry, ReviewDetail, ReviewEventMap, ReviewItem, SubscribeAck } from '@studioflow/runtime/graph';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { loadConfig } from '../src/config/config';
import { ensureChromium, launchBrowser, outputDir } from './support/browser';
import { api, deadline, startTestApp, type TestApp } from './support/test-app';

const chrome = ensureChromium();

let t: TestApp;
let pool: Pool;
const reviewerKey = 'sf_reviewer_dev';
const sellerKey = 'sf_user_dev';
let rivalStaffKey = '';
const INSTRUCTIONS = 'Is the bottle label sharp and the cap unchanged?';

/**
 * A template that always parks: the composite is measured by product fidelity and then waits at a
 * human review (with instructions and a 30-minute SLA) before delivery. Two credits a shoot.
 */
before(async () => {
  t = await startTestApp('reviewconsole');
  pool = new Pool({ connectionString: t.config.databaseUrl, max: 2 });
  const created = await api(t, '/api/v1/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'reviewed with fidelity',
      draft: {
        nodes: [
          { id: 'input', type: 'input-image' },
          { id: 'segment', type: 'segment' },
          { id: 'composite', type: 'studio-composite', params: { fill: 0.85 } },
          { id: 'fidelity', type: 'product-fidelity', params: { threshold: 0.5, model: 'none' } },
          { id: 'review', type: 'human-review', params: { instructions: INSTRUCTIONS, slaMinutes: 30 } },
          { id: 'deliver', type: 'deliver' },
        ],
        edges: [
          { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
          { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
          { source: 'segment', sourceHandle: 'cutout', target: 'fidelity', targetHandle: 'original' },
          { source: 'composite', sourceHandle: 'image', target: 'fidelity', targetHandle: 'candidate' },
          { source: 'composite', sourceHandle: 'image', target: 'review', targetHandle: 'image' },
          { source: 'fidelity', sourceHandle: 'score', target: 'review', targetHandle: 'score' },
          { source: 'review', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
        ],
      },
    }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const v = await api(t, `/api/v1/graphs/${created.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'reviewed' }) });
  assert.equal(v.status, 201, JSON.stringify(v.body));
  const published = await api(t, '/api/v1/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: v.body.id, slug: 'reviewed-fidelity', name: 'Reviewed fidelity', priceCredits: 2, exposedParams: [] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  const [rival] = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('Rival shop', 500) RETURNING id`)).rows;
  const [user] = (await pool.query(`INSERT INTO users (tenant_id, email, role) VALUES ($1, 'staff@rival.test', 'staff') RETURNING id`, [rival.id])).rows;
  rivalStaffKey = 'sf_test_rival_staff';
  await pool.query(`INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [
    user.id,
    rival.id,
    createHash('sha256').update(rivalStaffKey).digest('hex'),
  ]);
});
after(async () => {
  await pool?.end();
  await t?.stop();
});

async function until(id: string, statuses: string[], timeoutMs = 240_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, `/api/v1/shoots/${id}`, { key: t.staffKey });
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${id} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A seller's shoot of the reviewed template, waited for until it parks at the review. */
async function parkedShoot(seed: number): Promise<string> {
  const form = new FormData();
  const { jpeg } = await makeProductPhoto({ seed, width: 800, height: 600 });
  form.set('image', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('templateId', 'reviewed-fidelity');
  const res = await api(t, '/api/v1/shoots', { method: 'POST', key: sellerKey, body: form });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await until(res.body.runId, ['awaiting_review']);
  return res.body.runId;
}

const decide = (runId: string, body: unknown, key = reviewerKey) => api(t, `/api/v1/reviews/${runId}`, { method: 'POST', key, body: JSON.stringify(body) });
const queueItem = async (runId: string): Promise<ReviewItem | undefined> =>
  ((await api(t, '/api/v1/reviews', { key: reviewerKey })).body as ReviewItem[]).find((i) => i.runId === runId);
const balance = async () => (await pool.query(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`)).rows[0].credit_balance as number;
const ledger = async (runId: string) =>
  (await pool.query(`SELECT kind, count(*)::int AS n FROM credit_ledger WHERE run_id = $1 GROUP BY kind`, [runId])).rows.reduce(
    (acc: Record<string, number>, r: { kind: string; n: number }) => ({ ...acc, [r.kind]: r.n }),
    {},
  );

async function download(url: string): Promise<sharp.Metadata> {
  const res = await fetch(`${t.baseUrl}${url}`);
  assert.equal(res.status, 200, `${url} downloads without a key`);
  return sharp(Buffer.from(await res.arrayBuffer())).metadata();
}

test('the queue shows a parked shoot with its photo, candidate, fidelity checklist, instructions, SLA and adjustable params; approve delivers it, charged once', async () => {
  const before = Date.now();
  const runId = await parkedShoot(31);
  const item = await queueItem(runId);
  assert.ok(item, 'the parked shoot is in the queue');
  assert.equal(item.nodeId, 'review');
  assert.equal(item.template?.slug, 'reviewed-fidelity');
  assert.ok(item.since, 'since says when it parked');
  assert.ok(Date.parse(item.since) >= before - 5_000 && Date.parse(item.since) <= Date.now(), `since ${item.since} is when it parked`);
  assert.ok(item.ageSeconds >= 0 && item.ageSeconds < 600);
  assert.equal(item.slaMinutes, 30, "the SLA is the node's param");
  assert.equal(item.overdue, false);
  assert.equal(Date.parse(item.dueAt) - Date.parse(item.since), 30 * 60_000);
  assert.equal(item.instructions, INSTRUCTIONS);
  assert.ok(item.original, 'the original photo');
  const original = await download(item.original.url);
  assert.equal(original.width, 800, 'the photo as uploaded');
  assert.equal(item.candidates.length, 1);
  const candidate = await download(item.candidates[0].image.url);
  assert.ok((candidate.width ?? 0) > 0 && candidate.format, 'the candidate is an image');
  const fidelity = item.candidates[0].fidelity;
  assert.ok(fidelity, 'the fidelity check of the candidate');
  assert.equal(typeof fidelity.score, 'number');
  assert.equal(fidelity.threshold, 0.5);
  assert.equal(fidelity.pass, fidelity.score >= 0.5);
  assert.equal(item.defaultRerunFrom, 'composite');
  const composite = item.adjustable.find((n) => n.nodeId === 'composite');
  assert.ok(composite, 'the composite node is adjustable');
  const fill = composite.params.find((p) => p.name === 'fill');
  assert.equal(fill?.value, 0.85, 'with its current value');
  assert.equal(typeof fill?.schema.minimum, 'number', 'and its schema (range)');
  assert.ok(!item.adjustable.some((n) => n.type === 'input-image'), "the seller's upload is not adjustable");

  const detail = (await api(t, `/api/v1/reviews/${runId}`, { key: reviewerKey })).body as ReviewDetail;
  assert.equal(detail.status, 'awaiting_review');
  assert.equal(detail.open[0].nodeId, 'review');
  assert.deepEqual(detail.audit, []);

  const approved = await decide(runId, { decision: 'approve', reason: 'looks right' });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const done = await until(runId, ['completed']);
  assert.ok(done.results.jpeg, 'delivered');
  assert.deepEqual(await ledger(runId), { charge: 1 }, 'charged once, never refunded');
  assert.equal(await queueItem(runId), undefined, 'the item left the queue');
  const trail = ((await api(t, `/api/v1/reviews/${runId}`, { key: reviewerKey })).body as ReviewDetail).audit;
  assert.equal(trail.length, 1);
  assert.equal(trail[0].decision, 'approve');
  assert.equal(trail[0].reason, 'looks right');
  assert.equal(trail[0].actor.role, 'reviewer');
  assert.ok(trail[0].decidedAt);
});

test('reject needs a reason, then fails the shoot and refunds it exactly once', async () => {
  const start = await balance();
  const runId = await parkedShoot(32);
  assert.equal(start - (await balance()), 2, 'charged');
  const noReason = await decide(runId, { decision: 'reject' });
  assert.equal(noReason.status, 400, JSON.stringify(noReason.body));
  const rejected = await decide(runId, { decision: 'reject', reason: 'label is blurred' });
  assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
  const failed = await until(runId, ['failed']);
  assert.match(failed.error, /rejected by reviewer: label is blurred/);
  assert.equal(await balance(), start, 'refunded');
  assert.equal((await decide(runId, { decision: 'reject', reason: 'again' })).status, 409, 'decided already');
  assert.deepEqual(await ledger(runId), { charge: 1, refund: 1 }, 'one refund');
});

test('adjust & retry: invalid params answer 422 and change nothing; valid ones re-run the node and the run parks again', async () => {
  const runId = await parkedShoot(33);
  const invalid = await decide(runId, { decision: 'retry', rerunFrom: 'composite', params: { fill: 7, bogus: true } });
  assert.equal(invalid.status, 422, JSON.stringify(invalid.body));
  assert.match(JSON.stringify(invalid.body.problems), /fill/);
  const notUpstream = await decide(runId, { decision: 'retry', rerunFrom: 'deliver', params: {} });
  assert.equal(notUpstream.status, 422, 'only an upstream node can be re-run');
  const before = (await pool.query(`SELECT generation FROM node_runs WHERE run_id = $1 AND node_id = 'composite'`, [runId])).rows[0];
  assert.equal(before.generation, 1, 'nothing re-ran');
  const audited = (await pool.query(`SELECT count(*)::int AS n FROM review_decisions WHERE run_id = $1`, [runId])).rows[0].n;
  assert.equal(audited, 0, 'refused decisions are not audited');

  const first = await queueItem(runId);
  const retry = await decide(runId, { decision: 'retry', rerunFrom: 'composite', params: { fill: 0.6 }, reason: 'product too big' });
  assert.equal(retry.status, 200, JSON.stringify(retry.body));
  await until(runId, ['awaiting_review']);
  const composite = (await pool.query(`SELECT generation, params_override FROM node_runs WHERE run_id = $1 AND node_id = 'composite'`, [runId])).rows[0];
  assert.deepEqual(composite.params_override, { fill: 0.6 });
  assert.equal(composite.generation, 3, 'dispatched, reset, dispatched again');
  const again = await queueItem(runId);
  assert.ok(again && first, 'parked again');
  assert.ok(again.generation > first.generation, 'a new attempt to decide');
  assert.notEqual(again.candidates[0].image.hash, first.candidates[0].image.hash, 'a new candidate');
  assert.equal(again.adjustable.find((n) => n.nodeId === 'composite')?.params.find((p) => p.name === 'fill')?.value, 0.6);

  const [entry] = ((await api(t, `/api/v1/reviews/${runId}`, { key: reviewerKey })).body as ReviewDetail).audit;
  assert.equal(entry.decision, 'retry');
  assert.equal(entry.rerunFrom, 'composite');
  assert.equal(entry.paramsBefore?.fill, 0.85);
  assert.equal(entry.paramsAfter?.fill, 0.6);
  assert.equal(entry.reason, 'product too big');
  assert.equal((await decide(runId, { decision: 'approve' })).status, 200);
  await until(runId, ['completed']);
});

test('two reviewers deciding at once: exactly one wins, the other gets 409', async () => {
  const runId = await parkedShoot(34);
  const answers = await Promise.all([
    decide(runId, { decision: 'approve' }),
    decide(runId, { decision: 'reject', reason: 'racing' }, t.staffKey),
    decide(runId, { decision: 'approve' }, t.staffKey),
  ]);
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 409, 409], JSON.stringify(answers.map((a) => a.body)));
  const rows = (await pool.query(`SELECT decision FROM review_decisions WHERE run_id = $1`, [runId])).rows;
  assert.equal(rows.length, 1, 'one decision audited');
  const done = await until(runId, ['completed', 'failed']);
  assert.equal(done.status, rows[0].decision === 'approve' ? 'completed' : 'failed', 'the run did what the winner decided');
  const ledgerRows = await ledger(runId);
  assert.equal(ledgerRows.charge, 1);
  assert.equal(ledgerRows.refund ?? 0, rows[0].decision === 'reject' ? 1 : 0);
});

test('roles and tenants: end users 403, another tenant 404, the audit list is for staff', async () => {
  const runId = await parkedShoot(35);
  assert.equal((await api(t, '/api/v1/reviews', { key: sellerKey })).status, 403, 'an end user has no review queue');
  assert.equal((await api(t, `/api/v1/reviews/${runId}`, { key: sellerKey })).status, 403);
  assert.equal((await decide(runId, { decision: 'approve' }, sellerKey)).status, 403, 'an end user cannot decide');
  const rivalQueue = await api(t, '/api/v1/reviews', { key: rivalStaffKey });
  assert.equal(rivalQueue.status, 200);
  assert.ok(!rivalQueue.body.some((i: ReviewItem) => i.runId === runId), "another tenant's queue does not hold it");
  assert.equal((await api(t, `/api/v1/reviews/${runId}`, { key: rivalStaffKey })).status, 404);
  assert.equal((await decide(runId, { decision: 'approve' }, rivalStaffKey)).status, 404, "another tenant's run is not found");
  assert.equal((await api(t, '/api/v1/reviews/not-a-uuid', { key: reviewerKey })).status, 404);
  assert.equal((await api(t, '/api/v1/reviews/audit', { key: reviewerKey })).status, 403, 'the audit list is for staff');
  assert.ok(await queueItem(runId), 'still open: nobody outside could decide it');
  assert.equal((await decide(runId, { decision: 'reject', reason: 'cleanup' }, t.staffKey)).status, 200, 'staff may review');

  const audit = await api(t, '/api/v1/reviews/audit', { key: t.staffKey });
  assert.equal(audit.status, 200);
  const entries = audit.body as ReviewAuditEntry[];
  assert.ok(entries.length >= 5, `every decision so far is audited (${entries.length})`);
  assert.equal(entries[0].runId, runId, 'newest first');
  assert.equal(entries[0].actor.role, 'staff');
  assert.ok(entries.every((e) => e.actor.userId && e.decidedAt));
  assert.deepEqual((await api(t, '/api/v1/reviews/audit', { key: rivalStaffKey })).body, [], 'tenants see their own audit only');
});

/** A socket by API key, subscribed to the review feed; every review event it hears. */
async function reviewFeed(key: string): Promise<{ socket: Socket; ack: SubscribeAck; heard: Array<{ type: string; runId: string }> }> {
  const socket = io(t.baseUrl, { auth: { token: key }, transports: ['websocket'], reconnection: false });
  const heard: Array<{ type: string; runId: string }> = [];
  socket.onAny((type: string, e: { runId?: string }) => {
    if (type.startsWith('review.') && e?.runId) heard.push({ type, runId: e.runId });
  });
  await Promise.race([new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject))), deadline(30_000, 'socket did not connect')]);
  const ack = await Promise.race([new Promise<SubscribeAck>((resolve) => socket.emit('subscribe', { feed: 'reviews' }, resolve)), deadline(30_000, 'no subscribe ack')]);
  return { socket, ack, heard };
}

test("the review feed: reviewers hear a shoot park and its decision; a seller's socket is refused the feed", async () => {
  const reviewer = await reviewFeed(reviewerKey);
  const seller = await reviewFeed(sellerKey);
  try {
    assert.deepEqual(reviewer.ack, { ok: true });
    assert.equal(seller.ack.ok, false, 'sellers have no review feed');
    const runId = await parkedShoot(36);
    const heardParked = () => reviewer.heard.some((h) => h.type === 'review.parked' && h.runId === runId);
    for (const end = Date.now() + 30_000; !heardParked() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    assert.ok(heardParked(), 'review.parked reached the reviewer');
    const decided = new Promise<ReviewEventMap['review.decided']>((resolve) => reviewer.socket.on('review.decided', (e: ReviewEventMap['review.decided']) => e.runId === runId && resolve(e)));
    assert.equal((await decide(runId, { decision: 'approve' })).status, 200);
    const event = await Promise.race([decided, deadline(30_000, 'no review.decided')]);
    assert.equal(event.decision, 'approve');
    assert.equal(event.nodeId, 'review');
    await until(runId, ['completed']);
    assert.deepEqual(seller.heard, [], 'the seller heard no review event');
  } finally {
    reviewer.socket.disconnect();
    seller.socket.disconnect();
  }
});

test('in Chromium a reviewer signs in, a shoot parked after the page loaded appears live, is approved and leaves the queue; the run completes', { skip: chrome.path === null ? `chromium unavailable: ${(chrome as { reason: string }).reason}` : false }, async () => {
  const consoleIndex = join(loadConfig().editorDir, 'review', 'index.html');
  assert.ok(existsSync(consoleIndex), `${consoleIndex} is missing: build the editor first (npm run build -w editor)`);
  const shots = await outputDir('reviewer');
  const browser = await launchBrowser(chrome.path!, { width: 1440, height: 900 });
  const page = browser.page;
  page.setDefaultTimeout(60_000);
  // Review events the page's socket received: proof that the item came by push, not by the 10 s re-fetch.
  const pushed: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => typeof f.payload === 'string' && f.payload.includes('review.') && pushed.push(f.payload)));
  try {
    await page.goto(`${t.baseUrl}/review`);
    await signInAs(page, 'reviewer@studioflow.test');
    await page.getByText('Riley Reviewer').waitFor();
    await page.locator('.rv-live-live').waitFor();
    await page.getByText('Nothing to review').waitFor();

    const runId = await parkedShoot(41);
    const row = page.locator(`[data-run-id="${runId}"]`);
    await row.waitFor({ timeout: 120_000 });
    assert.ok(pushed.some((p) => p.includes('review.parked') && p.includes(runId)), 'the parked item was pushed over the socket');
    await row.click();
    await page.getByRole('heading', { name: 'Reviewed fidelity' }).waitFor();
    await page.getByText(INSTRUCTIONS).waitFor();
    await page.getByText('Product fidelity').waitFor();
    await waitForImages(page);
    await page.screenshot({ path: join(shots, 'desktop-queue-and-detail.png') });

    await page.getByRole('button', { name: 'Zoom candidate' }).click();
    await page.getByRole('dialog', { name: 'Zoomed image' }).waitFor();
    await page.screenshot({ path: join(shots, 'desktop-zoom.png') });
    await page.getByRole('dialog', { name: 'Zoomed image' }).click();

    await page.getByRole('button', { name: 'Adjust & retry' }).click();
    await page.getByLabel('Re-run from').waitFor();
    await page.screenshot({ path: join(shots, 'desktop-adjust.png') });
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.keyboard.press('a');
    await row.waitFor({ state: 'detached', timeout: 60_000 });
    assert.ok(pushed.some((p) => p.includes('review.decided') && p.includes(runId)), 'the decision was pushed too');
    const done = await until(runId, ['completed']);
    assert.ok(done.results.jpeg, 'the approved shoot was delivered');
    const [entry] = ((await api(t, `/api/v1/reviews/${runId}`, { key: reviewerKey })).body as ReviewDetail).audit;
    assert.equal(entry.decision, 'approve');
    assert.equal(entry.actor.name, 'Riley Reviewer', 'audited as the signed-in reviewer');
    await page.screenshot({ path: join(shots, 'desktop-after-approve.png') });

    // A phone: the queue, then the shoot on its own screen; reject asks for a reason.
    await page.setViewportSize({ width: 390, height: 844 });
    const second = await parkedShoot(42);
    const phoneRow = page.locator(`[data-run-id="${second}"]`);
    await phoneRow.waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(shots, 'phone-queue.png') });
    await phoneRow.click();
    await page.getByRole('button', { name: /Approve/ }).waitFor();
    await waitForImages(page);
    await page.screenshot({ path: join(shots, 'phone-detail.png'), fullPage: true });
    await page.getByRole('button', { name: /Reject/ }).click();
    await page.getByLabel(/Why is it rejected/).fill('the label is cut off');
    await page.screenshot({ path: join(shots, 'phone-reject.png') });
    await page.getByRole('button', { name: 'Reject and refund' }).click();
    await phoneRow.waitFor({ state: 'detached', timeout: 60_000 });
    const failed = await until(second, ['failed']);
    assert.match(failed.error, /the label is cut off/);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(Number(overflow) <= 0, `no sideways scrolling on a phone (${String(overflow)} px too wide)`);
    assert.deepEqual(browser.errors.filter((e) => !/Failed to load resource/.test(e)), [], 'no errors in the page');
  } finally {
    await page.goto('about:blank').catch(() => undefined);
    await browser.close();
  }
});

async function signInAs(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(t.config.demoPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Every image on the page has loaded (signed URLs answered). */
async function waitForImages(page: Page): Promise<void> {
  await page.waitForFunction('Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0)', undefined, { timeout: 60_000 });
}
