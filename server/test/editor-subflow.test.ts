/**
 * Subflows in a real browser (Debian chromium + playwright-core) against the real API and a worker:
 * select two nodes, "Make subflow", use the new node twice (once from the palette's Subflows
 * section), commit, run to completion; then edit the subflow into v2 and see a pinned instance offer
 * the update. Screenshots go to test-output/editor/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { centre, closeEditorSession, dragConnection, openEditorSession, sleep, until, waitAttr, type EditorSession } from './support/editor-page';

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, editor subflow test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let scratch = '';
let graphId = '';
let subflowType = '';

before(async () => {
  if (skip) return;
  session = await openEditorSession('editorsubflow');
  ({ t, browser, page, shots } = session);
  scratch = session.scratch;
});

after(() => closeEditorSession(session));

const connect = (from: Locator, to: Locator, held?: () => Promise<void>) => dragConnection(page, from, to, held);
const tid = (id: string) => page.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });

const edgeCount = () => page.locator('.react-flow__edge').count();

/** Fit, then zoom out below the readable fit so the whole graph is in the screenshot. */
async function showAll(): Promise<void> {
  await page.locator('.react-flow__controls-fitview').click();
  await sleep(300);
  for (let i = 0; i < 2; i++) await page.locator('.react-flow__controls-zoomout').click();
  await sleep(400);
  // Zooming out keeps the centre: pan the graph's top edge back into view (a drag on empty canvas pans).
  const box = (await tid('canvas').boundingBox())!;
  const from = { x: box.x + box.width * 0.15, y: box.y + box.height * 0.6 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 20, from.y + 110, { steps: 8 });
  await page.mouse.up();
  await sleep(200);
}

test('select two nodes, make a subflow, use it twice, commit and run it to completion', { skip }, async () => {
  const draft = {
    nodes: [
      { id: 'input', type: 'input-image', position: { x: 0, y: 120 } },
      { id: 'segment', type: 'segment', position: { x: 300, y: 40 } },
      { id: 'composite', type: 'studio-composite', params: { fill: 0.8 }, position: { x: 600, y: 40 } },
      { id: 'deliver', type: 'deliver', position: { x: 900, y: 40 } },
      { id: 'deliver2', type: 'deliver', position: { x: 900, y: 420 } },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      { source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  };
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Subflow e2e', draft }) });
  graphId = created.body.id;
  await page.goto(`${t.baseUrl}/#graph=${graphId}`);
  await tid('node-composite').waitFor();
  await page.locator('.react-flow__controls-fitview').click();
  await sleep(300);

  // The right-click menu offers Make subflow too; the toolbar button is used below.
  await tid('node-composite').locator('.sf-node-header').click({ button: 'right' });
  await tid('menu-node-make-subflow').waitFor();
  await page.keyboard.press('Escape');
  await tid('menu-node-make-subflow').waitFor({ state: 'detached' });
  // Select segment and composite (Ctrl+click adds to the selection), then Make subflow.
  await tid('node-segment').locator('.sf-node-header').click();
  await page.keyboard.down('Control');
  await tid('node-composite').locator('.sf-node-header').click();
  await page.keyboard.up('Control');
  assert.equal(await page.locator('.react-flow__node.selected').count(), 2, 'both selected');
  await tid('btn-make-subflow').click();
  await tid('make-subflow-dialog').waitFor();
  await tid('subflow-port-in-image').waitFor();
  await tid('subflow-port-out-image').waitFor();
  assert.match(await tid('subflow-ports').innerText(), /image \(image\) → segment\.image/);
  await tid('subflow-name').fill('Cutout');
  await tid('expose-composite-fill').check();
  await shot('subflow-01-make-dialog.png');
  await tid('btn-make-subflow-confirm').click();
  await tid('make-subflow-dialog').waitFor({ state: 'detached' });

  // One instance took their place, wired to the same edges.
  const instance = tid('node-cutout');
  await instance.waitFor();
  subflowType = (await instance.getAttribute('data-nodetype'))!;
  assert.match(subflowType, /^subflow:[0-9a-f-]{36}$/);
  assert.equal(await tid('node-segment').count(), 0);
  assert.equal(await tid('node-composite').count(), 0);
  await tid('handle-cutout-in-image').waitFor();
  await tid('handle-cutout-out-image').waitFor();
  await page.getByTestId('rf__edge-e-input.image-cutout.image').waitFor({ state: 'attached' });
  await page.getByTestId('rf__edge-e-cutout.image-deliver.image').waitFor({ state: 'attached' });
  assert.equal(await edgeCount(), 2);
  assert.match(await tid('subflow-version-cutout').innerText(), /latest \(v1\)/);

  // The palette lists it under Subflows; a second instance from there, wired to the other deliver node.
  await tid('palette-group-Subflows').waitFor();
  const canvas = tid('canvas');
  const box = (await canvas.boundingBox())!;
  await tid(`palette-item-${subflowType}`).dragTo(canvas, { targetPosition: { x: box.width * 0.45, y: box.height * 0.8 } });
  const second = page.locator(`[data-nodetype="${subflowType}"]`).nth(1);
  await second.waitFor();
  const secondId = (await second.getAttribute('data-testid'))!.replace(/^node-/, '');
  assert.equal(secondId, 'subflow_1', 'a palette instance gets a short id');
  await connect(tid('handle-input-out-image'), tid(`handle-${secondId}-in-image`));
  await connect(tid(`handle-${secondId}-out-image`), tid('handle-deliver2-in-image'));
  await until('four edges', edgeCount, (n) => n === 4);
  await waitAttr(tid('problems'), 'data-count', '0');
  // Pin the second instance to v1: it keeps v1 when the subflow changes.
  await tid(`btn-subflow-pin-${secondId}`).dispatchEvent('click');
  assert.match(await tid(`subflow-version-${secondId}`).innerText(), /v1 pinned/);
  await showAll();
  await shot('subflow-02-used-twice.png');

  // Save, commit, run.
  await tid('btn-save').click();
  await waitAttr(tid('save-state'), 'data-dirty', 'false');
  await tid('btn-commit').click();
  await tid('commit-message').fill('two cut-outs');
  await tid('btn-commit-confirm').click();
  await tid('commit-dialog').waitFor({ state: 'detached' });
  await until('v1 in the title', () => tid('btn-graphs').innerText(), (s) => s.includes('v1'));

  const photo = await makeProductPhoto({ seed: 12, width: 1200, height: 900 });
  const file = join(scratch, 'product.jpg');
  await writeFile(file, photo.jpeg);
  await tid('tab-run').click();
  await tid('run-file-input').setInputFiles(file);
  await tid('run-file-preview').waitFor();
  await tid('btn-run').click();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 300_000);
  await until('the instance sums up its inner nodes', () => tid('subflow-run-cutout').innerText().catch(() => ''), (s) => /2\/2 done/.test(s));
  await waitAttr(tid('node-status-cutout'), 'data-state', 'done');
  await waitAttr(tid(`node-status-${secondId}`), 'data-state', 'done');
  await waitAttr(tid('node-status-deliver'), 'data-state', 'done');
  await waitAttr(tid('node-status-deliver2'), 'data-state', 'done');
  await showAll();
  await shot('subflow-03-run-completed.png');

  const runs = await api(t, `/api/graphs/${graphId}/runs`);
  const run = await api(t, `/api/runs/${runs.body[0].id}`);
  const states = Object.fromEntries(run.body.nodes.map((n: { nodeId: string; state: string }) => [n.nodeId, n.state]));
  for (const id of ['cutout/segment', 'cutout/composite', `${secondId}/segment`, `${secondId}/composite`]) assert.equal(states[id], 'done', `${id} ran`);
});

test('open the subflow, save it as v2: the pinned instance offers the update, the other follows latest', { skip }, async () => {
  assert.ok(subflowType, 'needs the subflow of the previous test');
  const secondId = (await page.locator(`[data-nodetype="${subflowType}"]`).nth(1).getAttribute('data-testid'))!.replace(/^node-/, '');
  await tid('tab-inspector').click();
  // The readable fit may leave a node outside the viewport: click it where it is.
  await tid('btn-open-subflow-cutout').dispatchEvent('click');
  await tid('subflow-banner').waitFor();
  await tid('node-composite').waitFor();
  assert.match(await tid('graph-name').innerText(), /Subflow: Cutout/);
  await waitAttr(tid('problems'), 'data-count', '0'); // the input fed by the subflow's port is no problem here
  // Any save of the open subflow is its next version.
  await tid('node-composite').locator('.sf-node-header').click();
  await shot('subflow-04-editing.png');
  await tid('btn-save-subflow').click();
  await tid('subflow-banner').waitFor({ state: 'detached' });
  await tid('node-cutout').waitFor();
  await until('cutout follows v2', () => tid('subflow-version-cutout').innerText(), (s) => /latest \(v2\)/.test(s));
  await tid(`btn-subflow-update-${secondId}`).waitFor();
  await waitAttr(tid('problems'), 'data-count', '0');
  assert.match(await tid(`btn-subflow-update-${secondId}`).innerText(), /v2 available/);
  await showAll();
  await shot('subflow-05-v2-available.png');
  await tid(`btn-subflow-update-${secondId}`).dispatchEvent('click');
  assert.match(await tid(`subflow-version-${secondId}`).innerText(), /v2 pinned/);
  const detail = await api(t, `/api/subflows/${subflowType.slice('subflow:'.length)}`);
  assert.equal(detail.body.latestVersion, 2);
});
