/**
 * The editor's loose ends (issue 14), in a real browser (Debian chromium + playwright-core) against
 * the real API and workers: one declared run detail, a past run's params on the node cards, Run canvas
 * on a never-saved graph, right-click in a multi-selection, bypassed nodes after a run and in the
 * version diff, and model params as selects with their licences. Screenshots go to test-output/editor/polish-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { GraphAnnotation, GraphDoc, RunDetail, RunNodeDetail, RunSnapshotView } from '@studioflow/runtime/graph';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { closeEditorSession, commitGraph, completedTestRun, openEditorSession, until, waitAttr, type EditorSession } from './support/editor-page';
import { WHITE_STUDIO_LAID_OUT } from './support/test-graphs';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const document: any;
declare const localStorage: any;

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, editor polish browser test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let graphId = '';
let runId = '';

const doc = WHITE_STUDIO_LAID_OUT;

/** Every field of a node run on the wire, as the shared type names them (tsc fails if the type gains or loses one). */
const NODE_FIELDS = {
  nodeId: true, type: true, state: true, attempts: true, durationMs: true, error: true, outputs: true,
  sourceRunId: true, costUsd: true, costParts: true, startedAt: true, finishedAt: true,
} satisfies Record<keyof RunNodeDetail, true>;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

before(async () => {
  if (skip) return;
  session = await openEditorSession('editorpolish');
  ({ t, browser, page, shots } = session);
  page.on('dialog', (dialog) => void dialog.accept());
  // A graph with one committed version (fill 0.85) and one finished run of it; the draft then moves to fill 0.6.
  const committed = await commitGraph(t, 'Polish studio', doc, 'fill 0.85');
  graphId = committed.graphId;
  runId = await completedTestRun(t, committed.versionId, 51);
  const moved = structuredClone(doc);
  moved.nodes[2].params = { fill: 0.6 };
  const saved = await api(t, `/api/graphs/${graphId}/draft`, { method: 'PUT', body: JSON.stringify({ draft: moved }) });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
});

after(() => closeEditorSession(session));

const tid = (id: string, p: Page = page) => p.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });

/** A fresh page load (a change of the hash alone would not reopen anything); leaving unsaved edits is confirmed. */
async function load(url: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(url);
}

async function openGraph(id: string, someNode = 'input'): Promise<void> {
  await load(`${t.baseUrl}/#graph=${id}`);
  await tid(`node-${someNode}`).waitFor();
}

test('GET /api/runs/:id and /api/shoots/:id answer the one declared run detail: ISO dates, typed states, the declared node fields', { skip }, async () => {
  const snapshot = (await api(t, `/api/runs/${runId}`)).body as RunSnapshotView;
  const detail = (await api(t, `/api/shoots/${runId}`)).body as RunDetail;
  assert.equal(typeof snapshot.seq, 'number');
  for (const run of [snapshot, detail]) {
    assert.match(run.createdAt, ISO);
    assert.match(run.startedAt ?? '', ISO);
    assert.match(run.finishedAt ?? '', ISO);
    assert.equal(run.kind, 'test');
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.nodes.map((n) => n.nodeId), ['input', 'segment', 'composite', 'deliver']);
    for (const node of run.nodes) {
      assert.deepEqual(Object.keys(node).sort(), Object.keys(NODE_FIELDS).sort(), `node ${node.nodeId} has exactly the declared fields`);
      assert.equal(node.state, 'done');
      assert.match(node.finishedAt ?? '', ISO);
    }
    assert.equal(run.nodeParams?.composite.fill, 0.85);
  }
});

test('a past run opened from the history shows the params it ran with on the node cards, says so, and goes back to the draft', { skip }, async () => {
  await openGraph(graphId);
  assert.match(await tid('node-param-composite-fill').innerText(), /0\.6/, "the draft's fill before any run is open");
  assert.equal(await tid('viewing-run').count(), 0);
  await tid('tab-run').click();
  await tid(`run-history-item-${runId}`).click();
  await waitAttr(tid(`run-history-item-${runId}`), 'data-current', 'true');
  await tid('viewing-run').waitFor();
  assert.match(await tid('viewing-run').innerText(), new RegExp(`Viewing run ${runId.slice(0, 8)}`));
  await waitAttr(tid('node-params-composite'), 'data-ran-with', 'true');
  assert.match(await tid('node-param-composite-fill').innerText(), /0\.85/, 'the card shows the fill the run ran with');
  assert.match((await tid('node-param-composite-fill').getAttribute('class')) ?? '', /is-ran-diff/, 'marked as different from the draft');
  await shot('polish-01-past-run-params.png');
  await tid('btn-viewing-run-exit').click();
  await tid('viewing-run').waitFor({ state: 'detached' });
  await waitAttr(tid('node-params-composite'), 'data-ran-with', null);
  assert.match(await tid('node-param-composite-fill').innerText(), /0\.6/, "back to the draft's fill");
  // Opening it again and clearing the run view also goes back.
  await tid(`run-history-item-${runId}`).click();
  await tid('viewing-run').waitFor();
  await tid('btn-run-clear').click();
  await tid('viewing-run').waitFor({ state: 'detached' });
  assert.match(await tid('node-param-composite-fill').innerText(), /0\.6/);
});

test('Run canvas on a never-saved graph asks for a name in the save dialog, saves the graph, then runs it', { skip }, async () => {
  await load(`${t.baseUrl}/`);
  await page.evaluate(() => localStorage.removeItem('studioflow.lastGraph'));
  await load(`${t.baseUrl}/`);
  await tid('start-template-white-studio').click();
  await tid('node-deliver').waitFor({ state: 'attached' });
  await tid('tab-run').click();
  assert.match(await tid('btn-run-canvas').innerText(), /Save & run canvas/);
  const photo = join(shots, 'polish-photo.jpg');
  writeFileSync(photo, (await makeProductPhoto({ seed: 52, width: 640, height: 480 })).jpeg);
  await tid('run-file-input').setInputFiles(photo);
  const before = (await api(t, '/api/graphs')).body.length;
  await tid('btn-run-canvas').click();
  await tid('save-dialog').waitFor();
  await tid('save-then-run').waitFor();
  assert.match(await tid('btn-save-confirm').innerText(), /Save and run/);
  await tid('save-name').fill('Never saved studio');
  await shot('polish-02-save-then-run.png');
  await tid('btn-save-confirm').click();
  await tid('save-dialog').waitFor({ state: 'detached' });
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  const graphs = (await api(t, '/api/graphs')).body as Array<{ id: string; name: string }>;
  assert.equal(graphs.length, before + 1, 'the graph was saved once');
  const saved = graphs.find((g) => g.name === 'Never saved studio');
  assert.ok(saved, 'saved under the name given');
  const runs = (await api(t, `/api/graphs/${saved.id}/runs`)).body as Array<{ id: string; draft: boolean; status: string }>;
  assert.equal(runs.length, 1, 'and then ran once');
  assert.equal(runs[0].draft, true);
  assert.equal(runs[0].status, 'completed');
  assert.equal((await api(t, `/api/graphs/${saved.id}`)).body.versions.length, 0, 'no version was committed');
  assert.equal(await tid('graph-name').innerText(), 'Never saved studio');
  await shot('polish-03-saved-and-ran.png');
});

test('right-click in a multi-selection keeps the selection: duplicate and delete from the menu apply to every selected node', { skip }, async () => {
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Selection studio', draft: doc }) });
  assert.equal(created.status, 201);
  await openGraph(created.body.id);
  const selected = () => page.evaluate(() => [...document.querySelectorAll('.react-flow__node.selected')].map((el: any) => el.dataset.id).sort());
  const nodeCount = () => page.locator('.react-flow__node[data-id]:not([data-id^="annotation"])').count();
  const count = await nodeCount();

  // Ctrl+click selection, right-click one of them: both stay selected, Duplicate copies both.
  await tid('node-segment').locator('.sf-node-header').click();
  await tid('node-composite').locator('.sf-node-header').click({ modifiers: ['Control'] });
  assert.deepEqual(await selected(), ['composite', 'segment']);
  await tid('node-composite').locator('.sf-node-header').click({ button: 'right' });
  await tid('context-menu-node').waitFor();
  assert.deepEqual(await selected(), ['composite', 'segment'], 'the right-click kept the selection');
  await shot('polish-04-right-click-selection.png');
  await tid('menu-node-duplicate').click();
  await until('both nodes duplicated', nodeCount, (n) => n === count + 2);
  await page.keyboard.press('Control+z');
  await until('the duplicate undone', nodeCount, (n) => n === count);

  // A box selection (Shift+drag), right-clicked on one of its nodes: Delete removes both.
  await tid('canvas').click({ position: { x: 20, y: 20 } });
  const a = (await tid('node-segment').boundingBox())!;
  const b = (await tid('node-composite').boundingBox())!;
  await page.keyboard.down('Shift');
  await page.mouse.move(a.x - 15, Math.min(a.y, b.y) - 15);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width + 15, Math.max(a.y + a.height, b.y + b.height) + 15, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  assert.deepEqual(await selected(), ['composite', 'segment'], 'the box selected both');
  await page.mouse.click(b.x + b.width / 2, b.y + 12, { button: 'right' });
  await tid('context-menu-node').waitFor();
  assert.deepEqual(await selected(), ['composite', 'segment'], 'the right-click kept the box selection');
  await tid('menu-node-delete').click();
  await until('both nodes deleted', nodeCount, (n) => n === count - 2);
  assert.equal(await tid('node-segment').count(), 0);
  assert.equal(await tid('node-composite').count(), 0);
  assert.equal(await tid('node-input').count(), 1, 'the nodes outside the selection stay');
});

test('a disabled node shows "bypassed" after a run, and the version diff lists disabling it and changed notes and groups', { skip }, async () => {
  const note: GraphAnnotation = { id: 'note-1', kind: 'note', title: 'Lighting', text: 'soft', color: '#fde68a', position: { x: 0, y: -160 }, size: { width: 220, height: 120 } };
  const v1Doc: GraphDoc = {
    nodes: [
      { id: 'input', type: 'input-image', position: { x: 0, y: 80 } },
      { id: 'colour', type: 'colour-correct', position: { x: 300, y: 80 } },
      { id: 'segment', type: 'segment', position: { x: 600, y: 80 } },
      { id: 'composite', type: 'studio-composite', position: { x: 900, y: 80 } },
      { id: 'deliver', type: 'deliver', position: { x: 1200, y: 80 } },
    ],
    edges: [
      { id: 'e0', source: 'input', sourceHandle: 'image', target: 'colour', targetHandle: 'image' },
      { id: 'e1', source: 'colour', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { id: 'e2', source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      { id: 'e3', source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
    annotations: [note],
  };
  const v2Doc = structuredClone(v1Doc);
  v2Doc.nodes[1].disabled = true;
  v2Doc.annotations = [
    { ...note, title: 'Lighting notes' },
    { id: 'group-1', kind: 'group', title: 'Cut-out', color: '#93c5fd', position: { x: 560, y: 40 }, size: { width: 640, height: 260 } },
  ];
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Bypass studio', draft: v1Doc }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  assert.equal((await api(t, `/api/graphs/${id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'with colour' }) })).status, 201);
  assert.equal((await api(t, `/api/graphs/${id}/draft`, { method: 'PUT', body: JSON.stringify({ draft: v2Doc }) })).status, 200);
  assert.equal((await api(t, `/api/graphs/${id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'colour bypassed' }) })).status, 201);

  await openGraph(id);
  assert.equal(await tid('node-status-colour').getAttribute('data-state'), 'idle', 'no run on screen yet');
  await tid('tab-run').click();
  await tid('run-version-select').selectOption('2');
  const photo = join(shots, 'polish-photo.jpg');
  writeFileSync(photo, (await makeProductPhoto({ seed: 53, width: 640, height: 480 })).jpeg);
  await tid('run-file-input').setInputFiles(photo);
  await tid('btn-run').click();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  for (const n of ['input', 'segment', 'composite', 'deliver']) await waitAttr(tid(`node-status-${n}`), 'data-state', 'done');
  await waitAttr(tid('node-status-colour'), 'data-state', 'bypassed');
  assert.equal((await tid('node-status-colour').innerText()).toLowerCase(), 'bypassed');
  await shot('polish-05-bypassed-after-run.png');
  await tid('btn-run-clear').click();
  await waitAttr(tid('node-status-colour'), 'data-state', 'idle');

  await tid('tab-history').click();
  await tid('diff-a').selectOption('1');
  await tid('diff-b').selectOption('2');
  await tid('btn-diff').click();
  await tid('diff-summary').waitFor();
  await waitAttr(tid('diff-node-colour'), 'data-state', 'changed');
  assert.match(await tid('diff-node-colour').innerText(), /disabled \(bypassed\)/);
  await waitAttr(tid('diff-annotation-note-1'), 'data-state', 'changed');
  assert.match(await tid('diff-annotation-note-1').innerText(), /title "Lighting" → "Lighting notes"/);
  await waitAttr(tid('diff-annotation-group-1'), 'data-state', 'added');
  assert.match(await tid('diff-summary').innerText(), /2 note\/group changes/);
  await shot('polish-06-diff-bypass-annotations.png');
  await tid('btn-exit-view').click();
});

test('the CLIP, upscale and FLUX model params offer their models as choices and show the chosen one\'s licence', { skip }, async () => {
  const draft: GraphDoc = {
    nodes: [
      { id: 'clip', type: 'clip-score', position: { x: 0, y: 0 } },
      { id: 'up', type: 'upscale', position: { x: 320, y: 0 } },
      { id: 'flux', type: 'flux-local', position: { x: 640, y: 0 } },
    ],
    edges: [],
  };
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Model choices', draft }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await openGraph(created.body.id, 'clip');
  const cases = [
    { node: 'clip', choices: ['auto', 'clip-vit-b-32', 'clip-vit-l-14'], pick: 'clip-vit-b-32', licence: /MIT/ },
    { node: 'up', choices: ['auto', 'realesrgan-x4', 'realesrgan-x2'], pick: 'realesrgan-x4', licence: /BSD-3-Clause/ },
    { node: 'flux', choices: ['flux-fill'], pick: 'flux-fill', licence: /Non-Commercial/ },
  ];
  for (const c of cases) {
    await tid(`node-${c.node}`).locator('.sf-node-header').click();
    await tid('tab-inspector').click();
    await waitAttr(tid('inspector'), 'data-nodeid', c.node);
    assert.deepEqual(await page.locator('#param-model-choices option').evaluateAll((os: any[]) => os.map((o) => o.value)), c.choices, `${c.node}: the choices`);
    await tid('param-model').fill(c.pick);
    assert.match(await tid('param-model-licence').innerText(), c.licence, `${c.node}: the licence of ${c.pick}`);
    if (c.node === 'up') await shot('polish-07-model-licence.png');
  }
  await tid('node-clip').locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  await tid('param-model').fill('auto');
  assert.equal(await tid('param-model-licence').count(), 0, 'auto names no licence');
});
