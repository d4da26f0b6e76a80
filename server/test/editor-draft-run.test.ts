/**
 * Iterating without committing, in a real browser (Debian chromium + playwright-core) against the
 * real API and workers: edit a param without saving, drop a photo on the canvas (it is pinned to the
 * graph), Run canvas, see the draft run complete and in the history as "draft" with no new version;
 * open an older run and see the params it ran with in the inspector; run to one node.
 * Screenshots go to test-output/editor/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, sql, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { closeEditorSession, commitGraph, completedTestRun, dropImage, openEditorSession, until, waitAttr, type EditorSession } from './support/editor-page';
import { WHITE_STUDIO_LAID_OUT } from './support/test-graphs';

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, draft-run browser test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let graphId = '';
let versionRunId = '';
let draftRunId = '';

const doc = WHITE_STUDIO_LAID_OUT;

before(async () => {
  if (skip) return;
  session = await openEditorSession('editordraft');
  ({ t, browser, page, shots } = session);
  // A graph with one committed version and one finished run of it (fill 0.85): the "older run".
  const committed = await commitGraph(t, 'Draft-run studio', doc, 'fill 0.85');
  graphId = committed.graphId;
  versionRunId = await completedTestRun(t, committed.versionId, 41);
});

after(() => closeEditorSession(session));

const tid = (id: string, p: Page = page) => p.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });

async function selectNode(id: string): Promise<void> {
  await tid(`node-${id}`).locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  await waitAttr(tid('inspector'), 'data-nodeid', id);
}

test('edit a param without saving, drop a photo on the canvas, Run canvas: a draft run completes, in history as draft, no new version', { skip }, async () => {
  await page.goto(`${t.baseUrl}/#graph=${graphId}`);
  await tid('node-composite').waitFor();
  await selectNode('composite');
  await tid('param-fill').fill('0.6');
  await tid('param-fill').press('Tab');

  const photo = (await makeProductPhoto({ seed: 42, width: 640, height: 480 })).jpeg;
  await dropImage(tid('canvas'), photo, 'dropped-product.jpg');
  await tid('tab-run').click();
  await waitAttr(tid('test-photo'), 'data-pinned', 'true');
  await until('the pinned thumbnail to load', () => tid('test-photo-thumb').evaluate((el: any) => el.naturalWidth as number), (w) => w > 0);
  const pinned = (await api(t, `/api/graphs/${graphId}`)).body.testPhoto;
  assert.ok(pinned?.uploadId, 'the dropped photo is pinned to the graph on the server');
  assert.equal(pinned.width, 640);
  await shot('draft-01-pinned-photo.png');

  await tid('btn-run-canvas').click();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  await tid('run-draft-tag').waitFor();
  for (const id of ['input', 'segment', 'composite', 'deliver']) await waitAttr(tid(`node-status-${id}`), 'data-state', 'done');

  const history = await until('the draft run in the history', () => api(t, `/api/graphs/${graphId}/runs`), (r) => r.body.some((x: { draft: boolean }) => x.draft));
  const draft = history.body.find((x: { draft: boolean }) => x.draft);
  draftRunId = draft.id;
  await tid(`run-history-draft-${draftRunId}`).waitFor();
  assert.match(await tid(`run-history-draft-${draftRunId}`).innerText(), new RegExp(`draft ${draft.draftHash.slice(0, 7)}`, 'i'));
  const detail = (await api(t, `/api/runs/${draftRunId}`)).body;
  assert.equal(detail.nodeParams.composite.fill, 0.6, 'the run ran the unsaved canvas');
  const graph = (await api(t, `/api/graphs/${graphId}`)).body;
  assert.equal(graph.versions.length, 1, 'no version was created');
  assert.equal(graph.draft.nodes.find((n: { id: string }) => n.id === 'composite').params.fill, 0.85, 'nothing was saved');
  await shot('draft-02-run-canvas-completed.png');
});

test('opening an older run shows the params it ran with, read-only, not the draft', { skip }, async () => {
  assert.ok(draftRunId, 'needs the draft run of the previous test');
  await tid(`run-history-item-${versionRunId}`).click();
  await waitAttr(tid(`run-history-item-${versionRunId}`), 'data-current', 'true');
  await selectNode('composite');
  await waitAttr(tid('ran-with-note'), 'data-in-run', 'true');
  assert.equal(await tid('param-fill').inputValue(), '0.85', 'the older run ran with 0.85');
  assert.ok(await tid('param-fill').isDisabled(), "a past run's params are read-only");
  await shot('draft-03-past-run-params.png');
  await tid('btn-edit-draft-params').click();
  assert.equal(await tid('param-fill').inputValue(), '0.6', "back to the draft's own value");
  assert.ok(!(await tid('param-fill').isDisabled()));
});

test('a photo dropped on the Run tab replaces the pinned one; Ctrl+Shift+Enter runs the canvas on it', { skip }, async () => {
  const before = (await api(t, `/api/graphs/${graphId}`)).body.testPhoto.uploadId;
  await tid('tab-run').click();
  await dropImage(tid('draft-run'), (await makeProductPhoto({ seed: 43, width: 600, height: 600 })).jpeg, 'second.jpg');
  const after = await until('a new pinned photo', async () => (await api(t, `/api/graphs/${graphId}`)).body.testPhoto, (p) => p?.uploadId !== before);
  assert.equal(after.width, 600);
  const runs = async () => (await api(t, `/api/graphs/${graphId}/runs`)).body as Array<{ id: string; draft: boolean }>;
  const count = (await runs()).length;
  await tid('canvas').click({ position: { x: 20, y: 20 } });
  await page.keyboard.press('Control+Shift+Enter');
  const latest = (await until('the shortcut to start a draft run', runs, (r) => r.length === count + 1))[0];
  assert.equal(latest.draft, true);
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  const [seed] = await sql(t, `SELECT seed_inputs->'input'->'upload'->>'hash' AS hash FROM runs WHERE id = $1`, [latest.id]);
  const [pinned] = await sql(t, `SELECT hash FROM uploads WHERE id = $1`, [after.uploadId]);
  assert.equal(seed.hash, pinned.hash, 'the run used the newly pinned photo');
  assert.equal((await api(t, `/api/graphs/${graphId}`)).body.versions.length, 1);
  assert.ok(await tid('btn-run').isEnabled(), 'a committed version runs on the pinned photo too, with no photo picked');
});

test('Run to here on the segment node runs only the input and the segment', { skip }, async () => {
  await selectNode('segment');
  await tid('btn-run-to-here').click();
  await tid('tab-run').click();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  const history = await until('the run-to-here run', () => api(t, `/api/graphs/${graphId}/runs`), (r) => r.body[0]?.untilNodeId === 'segment');
  const latest = history.body[0];
  const detail = (await api(t, `/api/runs/${latest.id}`)).body;
  assert.deepEqual(detail.nodes.map((n: { nodeId: string }) => n.nodeId), ['input', 'segment']);
  await tid(`run-history-until-${latest.id}`).waitFor();
  await shot('draft-04-run-to-here.png');
});
