/**
 * The editor's run view in a real browser (Debian chromium, playwright-core) against the real API and
 * workers: previews on the nodes after a run, the lightbox, two runs compared, node states that never
 * go back (every state the DOM shows is recorded), the debug panel's log lines, and a run parked for
 * review that leaves Run usable. Screenshots go to test-output/editor/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { api, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { closeEditorSession, committedGraph, openEditorSession, sleep, until, waitAttr, type EditorSession } from './support/editor-page';
import { REVIEWED_LOOK } from './support/test-graphs';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const window: any;
declare const document: any;
declare const MutationObserver: any;

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, run view test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

const WHITE_STUDIO: GraphDoc = {
  nodes: [
    { id: 'input', type: 'input-image' },
    { id: 'segment', type: 'segment' },
    { id: 'composite', type: 'studio-composite', params: { fill: 0.8, background: 'solid', color: '#ffffff' } },
    { id: 'deliver', type: 'deliver' },
  ],
  edges: [
    { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
    { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
    { source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
  ],
};
const NODES = ['input', 'segment', 'composite', 'deliver'];
/** How far along a node state is: a node may only move up this ladder within one run. */
const RANK: Record<string, number> = { idle: 0, pending: 1, queued: 1, running: 2, awaiting_review: 3, done: 4, cached: 4, failed: 4, skipped: 4, cancelled: 4 };

let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let scratch = '';
let photoFile = '';
let graphId = '';
let reviewedGraphId = '';

before(async () => {
  if (skip) return;
  session = await openEditorSession('runview-editor');
  ({ t, browser, page, shots } = session);
  scratch = session.scratch;
  const photo = await makeProductPhoto({ seed: 21, width: 1600, height: 1200, kind: 'bottle' });
  photoFile = join(scratch, 'product.jpg');
  await writeFile(photoFile, photo.jpeg);
  graphId = await committedGraph(t, 'run view', WHITE_STUDIO);
  reviewedGraphId = await committedGraph(t, REVIEWED_LOOK.name, REVIEWED_LOOK.draft);
  // Every node state the canvas shows, in order, per node (consecutive repeats folded).
  await page.addInitScript(() => {
    const seen: Record<string, string[]> = {};
    (window as any).__nodeStates = seen;
    const record = () => {
      for (const el of document.querySelectorAll('[data-testid^="node-status-"]')) {
        const id = el.getAttribute('data-testid').slice('node-status-'.length);
        const state = el.getAttribute('data-state');
        const list = (seen[id] ??= []);
        if (list[list.length - 1] !== state) list.push(state);
      }
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  });
});

after(() => closeEditorSession(session));

const tid = (id: string) => page.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });

async function runOnce(): Promise<void> {
  await tid('tab-run').click();
  await tid('run-file-input').setInputFiles(photoFile);
  await tid('btn-run').click();
}

test('after a run every node shows a small preview of its image; the states the canvas showed never went back', { skip }, async () => {
  await page.goto(`${t.baseUrl}/#graph=${graphId}`);
  await tid('node-deliver').waitFor();
  await page.evaluate(() => {
    for (const k of Object.keys((window as any).__nodeStates)) delete (window as any).__nodeStates[k];
  });
  await runOnce();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  for (const id of NODES) await waitAttr(tid(`node-status-${id}`), 'data-state', 'done');
  // The last poll after the end has to land too: it must not change anything either.
  await sleep(1500);
  const states = (await page.evaluate(() => (window as any).__nodeStates)) as Record<string, string[]>;
  for (const id of NODES) {
    const seq = (states[id] ?? []).filter((s) => s !== 'idle');
    assert.ok(seq.length >= 1 && seq.at(-1) === 'done', `${id}: ${JSON.stringify(states[id])}`);
    for (let i = 1; i < seq.length; i++) assert.ok(RANK[seq[i]] >= RANK[seq[i - 1]], `${id} went back: ${seq.join(' → ')}`);
  }
  assert.ok(Object.values(states).some((s) => s.includes('running')), `some node was seen running: ${JSON.stringify(states)}`);

  for (const id of ['segment', 'composite', 'deliver']) {
    const img = tid(`node-thumb-${id}`).locator('img');
    await img.waitFor();
    assert.match((await img.getAttribute('src')) ?? '', /[?&]w=160$/, 'the preview asks the server for a small copy');
    const natural = await until(`${id} preview to load`, () => img.evaluate((el: any) => el.naturalWidth as number), (w) => w > 0);
    assert.ok(natural <= 160, `${id} preview is ${natural} px wide, not the full image`);
  }
  await shot('run-view-01-node-previews.png');
});

test('a click on a preview opens the node’s images large, with its other outputs to switch to', { skip }, async () => {
  await tid('node-thumb-deliver').click();
  const box = tid('image-lightbox');
  await box.waitFor();
  const large = tid('lightbox-image');
  const first = await large.getAttribute('data-port');
  assert.match((await large.getAttribute('src')) ?? '', /w=1024$/);
  assert.ok((await until('lightbox image', () => large.evaluate((el: any) => el.naturalWidth as number), (w) => w > 160)) <= 1024);
  assert.equal(await tid('lightbox-strip').locator('button').count(), 3, 'jpeg, webp and thumbnail');
  await tid('lightbox-pick-webp').click();
  await until('the webp shown', () => large.getAttribute('data-port'), (p) => p === 'webp' && p !== first);
  await shot('run-view-02-lightbox.png');
  await page.keyboard.press('Escape');
  await box.waitFor({ state: 'detached' });
});

test('the debug panel shows the nodes’ log lines, filterable by node', { skip }, async () => {
  await tid('tab-debug').click();
  const lines = tid('debug-line');
  await until('log lines', () => lines.count(), (n) => n > 0);
  const deliverLine = page.locator('[data-testid="debug-line"][data-node="deliver"]').first();
  assert.match(await deliverLine.innerText(), /delivered \d+×\d+: JPEG \d+ bytes/);
  await tid('debug-node-filter').selectOption('deliver');
  const nodes = await lines.evaluateAll((els: any[]) => els.map((e) => e.getAttribute('data-node')));
  assert.ok(nodes.length > 0 && nodes.every((n) => n === 'deliver'), JSON.stringify(nodes));
  await shot('run-view-03-debug-panel.png');
});

test('the segment node’s details show its cut-out’s trust as a pass/fail checklist with the figures, the JSON folded away', { skip }, async () => {
  await tid('node-segment').locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  const trust = tid('artifact-segment-cutout').getByTestId('trust-checklist');
  await trust.waitFor();
  assert.equal(await trust.getAttribute('data-verdict'), 'trusted');
  const text = await trust.innerText();
  assert.match(text, /✓ cut-out trusted: trust [\d.]+ \(trusted at ≥ 0\.5\)/);
  for (const measure of ['coverage', 'fragments', 'borderContact', 'edgeAgreement', 'softShare']) assert.match(text, new RegExp(`${measure} \\d`));
  assert.equal(await page.locator('.sf-json:visible').count(), 0, 'no raw JSON unless unfolded');
  await trust.scrollIntoViewIfNeeded();
  await shot('run-view-03b-trust-checklist.png');
});

test('two runs compared side by side: per node both images, numbers diffed; history rows show duration and cost', { skip }, async () => {
  await runOnce();
  await until('a second run', () => api(t, `/api/graphs/${graphId}/runs`), (r) => r.body.length === 2);
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  const history = (await api(t, `/api/graphs/${graphId}/runs`)).body as Array<{ id: string }>;
  await waitAttr(tid('run-history'), 'data-count', '2');
  // The row's figures come with the history reload that follows the run's end: wait for them rather than read at once.
  await until('duration and cost on the newest history row', () => tid(`run-history-figures-${history[0].id}`).innerText(), (text) => /\d.*s · \$\d/.test(text));
  await tid('btn-compare-runs').click();
  await tid('compare-table').waitFor();
  for (const id of ['segment', 'composite', 'deliver']) {
    const images = tid(`compare-node-${id}`).getByTestId('compare-image');
    assert.equal(await images.count(), 2, `${id} shows both runs' images`);
    for (const img of await images.all()) await until(`${id} compare image to load`, () => img.evaluate((el: any) => el.naturalWidth as number), (w) => w > 0);
  }
  // The newer run on the right, diffed against the older on the left.
  await tid('compare-node-deliver').getByTestId('compare-number-durationMs').nth(1).waitFor();
  assert.match(await tid('compare-node-deliver').getByTestId('compare-number-report.jpegBytes').nth(1).innerText(), /report\.jpegBytes \d+/);
  await shot('run-view-04-compare-runs.png');
  await page.keyboard.press('Escape');
});

test('a run parked for review says so in a pill that fits, and leaves Run usable', { skip }, async () => {
  // A new hash alone does not reload the app: open it afresh on the other graph.
  await page.goto('about:blank');
  await page.goto(`${t.baseUrl}/#graph=${reviewedGraphId}`);
  await tid('node-review').waitFor();
  await runOnce();
  await waitAttr(tid('run-status'), 'data-phase', 'awaiting_review', 240_000);
  await tid('run-waiting-review').waitFor();
  const button = tid('btn-run');
  assert.equal(await button.isEnabled(), true, 'Run is usable while the run waits for a reviewer');
  assert.match((await button.innerText()).trim(), /^▶ Run( v\d+)?$/, 'the button offers a new run, not "Running…"');
  assert.equal(await tid('btn-run-canvas').isEnabled(), true, 'Run canvas is usable too');
  const pill = tid('run-status').locator('.sf-badge');
  assert.equal((await pill.innerText()).trim().toLowerCase(), 'in review');
  const fits = await pill.evaluate((el: any) => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().width < 120);
  assert.ok(fits, 'the pill fits its text');
  await waitAttr(tid('node-status-review'), 'data-state', 'awaiting_review');
  await shot('run-view-05-parked-for-review.png');
});
