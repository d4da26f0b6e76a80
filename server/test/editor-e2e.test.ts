/**
 * The editor in a real browser (Debian chromium driven by playwright-core) against the real API:
 * scratch PostgreSQL, Redis, worker processes, and the built editor served by the server at `/`.
 *
 * Builds the white-studio pipeline from the palette, checks an ill-typed connection is refused,
 * saves, commits, publishes, runs it on a generated product photo, opens an output artifact,
 * replays from a node, reloads a run from the history, and measures a 300-node graph (first render
 * and pan/zoom frame rate). Screenshots go to test-output/editor/ at the repo root.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { closeEditorSession, dragConnection, imageLoaded, openEditorSession, sleep, until, waitAttr, type EditorSession } from './support/editor-page';
import { bigGraph, measurePanZoom, waitEditorLoad, watchEditorLoad } from './support/editor-perf';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const window: any;
declare const document: any;
declare const location: { hash: string };

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, editor e2e skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

const PERF_NODES = 300;
let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let scratch = '';
let graphId = '';
const runIds: string[] = [];

before(async () => {
  if (skip) return;
  session = await openEditorSession('editore2e');
  ({ t, browser, page, shots } = session);
  scratch = session.scratch;
});

after(() => closeEditorSession(session));

const connect = (from: Locator, to: Locator, held?: () => Promise<void>) => dragConnection(page, from, to, held);
const tid = (id: string, p: Page = page) => p.getByTestId(id);

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(shots, name) });
}

const edge = (s: string, sh: string, d: string, dh: string) => tid(`rf__edge-e-${s}.${sh}-${d}.${dh}`);
const N = { input: 'input-image_1', segment: 'segment_1', composite: 'studio-composite_1', deliver: 'deliver_1' };

test('build the white-studio graph from the palette; an ill-typed edge is refused; save, commit, publish', { skip }, async () => {
  await page.goto(`${t.baseUrl}/`);
  await tid('palette-item-deliver').waitFor();
  await tid('canvas-empty-hint').waitFor();
  const canvas = tid('canvas');
  const box = (await canvas.boundingBox())!;
  // A 2×2 grid, so the handles of different nodes never overlap; auto-layout tidies it up later.
  const spots: Array<[string, number, number]> = [
    ['input-image', 0.25, 0.2],
    ['segment', 0.7, 0.2],
    ['studio-composite', 0.25, 0.62],
    ['deliver', 0.7, 0.62],
  ];
  for (const [type, fx, fy] of spots) {
    await tid(`palette-item-${type}`).dragTo(canvas, { targetPosition: { x: box.width * fx, y: box.height * fy } });
  }
  for (const id of Object.values(N)) await tid(`node-${id}`).waitFor();

  await connect(tid(`handle-${N.input}-out-image`), tid(`handle-${N.segment}-in-image`));
  await edge(N.input, 'image', N.segment, 'image').waitFor({ state: 'attached' });
  await connect(tid(`handle-${N.segment}-out-cutout`), tid(`handle-${N.composite}-in-cutout`));
  await edge(N.segment, 'cutout', N.composite, 'cutout').waitFor({ state: 'attached' });

  // mask → image input: React Flow marks the target invalid while dragging, and no edge appears.
  await connect(tid(`handle-${N.segment}-out-mask`), tid(`handle-${N.deliver}-in-image`), async () => {
    const cls = await tid(`handle-${N.deliver}-in-image`).getAttribute('class');
    assert.doesNotMatch(cls ?? '', /\bvalid\b/, 'the image input is not offered to a mask');
    await shot('02-ill-typed-connection.png');
  });
  await sleep(150);
  if (await tid('add-node-popup').isVisible()) await page.keyboard.press('Escape');
  assert.equal(await page.locator(`[data-testid^="rf__edge-"][data-testid$="-${N.deliver}.image"]`).count(), 0, 'no edge into deliver');
  assert.equal(await page.locator('.react-flow__edge').count(), 2);

  await connect(tid(`handle-${N.composite}-out-image`), tid(`handle-${N.deliver}-in-image`));
  await edge(N.composite, 'image', N.deliver, 'image').waitFor({ state: 'attached' });
  assert.equal(await page.locator('.react-flow__edge').count(), 3);
  await waitAttr(tid('problems'), 'data-count', '0');

  await tid('btn-layout').click();
  await page.locator('.react-flow__controls-fitview').click();
  await sleep(300);
  await shot('01-graph-built.png');

  // Save (a new graph asks for a name), commit v1, publish it as a template.
  await tid('btn-save').click();
  await tid('save-name').fill('E2E white studio');
  await tid('btn-save-confirm').click();
  await tid('save-dialog').waitFor({ state: 'detached' });
  await waitAttr(tid('save-state'), 'data-dirty', 'false');
  graphId = await until('graph id in the URL', () => page.evaluate(() => /graph=([^&]+)/.exec(location.hash)?.[1] ?? ''), Boolean);

  await tid('btn-commit').click();
  await tid('commit-message').fill('white studio from the palette');
  await tid('btn-commit-confirm').click();
  await tid('commit-dialog').waitFor({ state: 'detached' });
  await until('v1 in the title', () => tid('btn-graphs').innerText(), (s) => s.includes('v1'));

  const slug = `e2e-white-${randomBytes(3).toString('hex')}`;
  await tid('btn-publish').click();
  await tid('publish-slug').fill(slug);
  await tid(`publish-param-${N.composite}-fill`).check();
  await tid(`publish-label-${N.composite}-fill`).fill('Product size in frame');
  await shot('03-publish-dialog.png');
  await tid('btn-publish-confirm').click();
  await tid('publish-dialog').waitFor({ state: 'detached' });
  const templates = await api(t, '/api/templates', { key: t.userKey });
  const published = templates.body.find((x: { slug: string }) => x.slug === slug);
  assert.ok(published, `template ${slug} is published: ${JSON.stringify(templates.body)}`);
});

test('the publish dialog lists the templates and marks one no provider can run "needs a provider"', { skip }, async () => {
  // Published while Replicate is configured, then the configuration goes away (the API reads it per request).
  const saved = process.env.REPLICATE_API_TOKEN;
  process.env.REPLICATE_API_TOKEN = 'e2e-token';
  const slug = `e2e-scene-${randomBytes(3).toString('hex')}`;
  try {
    const draft = {
      nodes: [
        { id: 'input', type: 'input-image' },
        { id: 'segment', type: 'segment' },
        { id: 'prompt', type: 'compose-prompt' },
        { id: 'generate', type: 'generate-scene' },
      ],
      edges: [
        { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
        { source: 'segment', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
        { source: 'segment', sourceHandle: 'cutout', target: 'generate', targetHandle: 'cutout' },
        { source: 'prompt', sourceHandle: 'prompt', target: 'generate', targetHandle: 'prompt' },
      ],
    };
    const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: slug, draft }) });
    const version = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
    const published = await api(t, '/api/templates', { method: 'POST', body: JSON.stringify({ graphVersionId: version.body.id, slug, name: slug }) });
    assert.equal(published.status, 201, JSON.stringify(published.body));
  } finally {
    if (saved === undefined) delete process.env.REPLICATE_API_TOKEN;
    else process.env.REPLICATE_API_TOKEN = saved;
  }
  assert.equal(process.env.STUDIOFLOW_COG_MODELS, undefined, 'no local provider either');
  await tid('btn-publish').click();
  await tid(`needs-provider-${slug}`).waitFor();
  assert.match(await tid(`template-${slug}`).getAttribute('title') ?? '', /REPLICATE_API_TOKEN/);
  assert.equal(await tid('template-white-studio').locator('.sf-badge-needs-provider').count(), 0);
  await shot('03b-templates-needs-provider.png');
  await page.keyboard.press('Escape');
  await tid('publish-dialog').waitFor({ state: 'detached' });
});

test('run the committed version on a product photo; every node reaches done; the output artifact opens', { skip }, async () => {
  assert.ok(graphId, 'needs the graph of the previous test');
  const photo = await makeProductPhoto({ seed: 11, width: 3000, height: 2250, kind: 'bottle' });
  const file = join(scratch, 'product.jpg');
  await writeFile(file, photo.jpeg);

  await tid('tab-run').click();
  await tid('run-file-input').setInputFiles(file);
  await tid('run-file-preview').waitFor();
  await tid('btn-run').click();
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 240_000);
  for (const id of Object.values(N)) {
    await waitAttr(tid(`node-status-${id}`), 'data-state', 'done');
    await tid(`node-duration-${id}`).waitFor();
    // Every node stored artifacts, so each shows a (storage) cost from its node.completed event.
    assert.match(await tid(`node-cost-${id}`).innerText(), /^\$\d/, `node ${id} shows its cost`);
  }
  assert.match(await tid('run-cost').innerText(), /^cost \$\d/, 'the run panel shows the run total');
  assert.ok((await imageLoaded(tid('run-result-jpeg').locator('img'))) > 0, 'the result JPEG loads');
  await shot('04-run-completed.png');

  // The deliver node's JPEG output, in the inspector, and opened in its own tab.
  await tid(`node-${N.deliver}`).locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  const artifact = tid(`artifact-${N.deliver}-jpeg`);
  const width = await imageLoaded(artifact.locator('img'));
  assert.equal(width, 2048, 'the delivered JPEG is 2048 px wide');
  await shot('05-output-artifact.png');
  const [tab] = await Promise.all([browser.context.waitForEvent('page'), artifact.locator('a').click()]);
  await tab.waitForLoadState();
  const opened = await until('the artifact tab to show the image', () => tab.evaluate(() => document.images[0]?.naturalWidth ?? 0), (w) => w > 0);
  assert.equal(opened, 2048);
  await tab.close();

  const history = await api(t, `/api/graphs/${graphId}/runs`);
  assert.equal(history.body.length, 1);
  runIds.push(history.body[0].id);
});

test('replay from the composite node with a new param reuses the upstream nodes and is followed live', { skip }, async () => {
  assert.equal(runIds.length, 1, 'needs the run of the previous test');
  // Tweak the composite's fill on the canvas and replay from it with that parameter: the input and
  // segment nodes are reused from the first run, the composite and deliver nodes execute again.
  await tid(`node-${N.composite}`).locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  await tid('param-fill').fill('0.6');
  await tid(`replay-with-params-${N.composite}`).check();
  await tid(`btn-replay-${N.composite}`).click();
  await tid('tab-run').click();
  await waitAttr(tid('run-parent'), 'data-parent', runIds[0]);
  await waitAttr(tid('run-status'), 'data-phase', 'completed', 30_000);
  for (const id of [N.input, N.segment]) {
    await waitAttr(tid(`node-status-${id}`), 'data-state', 'cached');
    await waitAttr(tid(`node-${id}`), 'data-reused', 'true');
    await tid(`node-reused-${id}`).waitFor();
  }
  for (const id of [N.composite, N.deliver]) await waitAttr(tid(`node-status-${id}`), 'data-state', 'done');
  await shot('06-replay-reused-nodes.png');

  const history = await until('two runs in the history', () => api(t, `/api/graphs/${graphId}/runs`), (r) => r.body.length === 2);
  const replay = history.body.find((r: { parentRunId: string | null }) => r.parentRunId === runIds[0]);
  assert.ok(replay, 'the replay is linked to its parent');
  assert.equal(replay.replayFrom, N.composite);
  runIds.push(replay.id);
  const detail = await api(t, `/api/runs/${replay.id}`);
  const first = await api(t, `/api/runs/${runIds[0]}`);
  const jpeg = (r: { body: { nodes: Array<{ nodeId: string; outputs: { jpeg?: { hash: string } } }> } }) =>
    r.body.nodes.find((n) => n.nodeId === N.deliver)?.outputs.jpeg?.hash;
  assert.ok(jpeg(detail) && jpeg(detail) !== jpeg(first), 'fill 0.6 delivered a different JPEG');
  const source = Object.fromEntries(detail.body.nodes.map((n: { nodeId: string; sourceRunId: string | null }) => [n.nodeId, n.sourceRunId]));
  assert.deepEqual(source, { [N.input]: runIds[0], [N.segment]: runIds[0], [N.composite]: null, [N.deliver]: null });
});

test('the run history lists both runs; clicking the first shows its states again', { skip }, async () => {
  assert.equal(runIds.length, 2, 'needs the runs of the previous tests');
  await waitAttr(tid('run-history'), 'data-count', '2');
  await tid(`run-history-replay-${runIds[1]}`).waitFor();
  await waitAttr(tid(`run-history-item-${runIds[1]}`), 'data-current', 'true');
  await tid(`run-history-item-${runIds[0]}`).click();
  await waitAttr(tid(`run-history-item-${runIds[0]}`), 'data-current', 'true');
  for (const id of Object.values(N)) await waitAttr(tid(`node-status-${id}`), 'data-state', 'done');
  assert.equal(await page.locator('[data-reused="true"]').count(), 0, 'the original run reused nothing');
  // A loaded run shows the costs GET /api/runs/:id holds, per node and in total.
  for (const id of Object.values(N)) assert.match(await tid(`node-cost-${id}`).innerText(), /^\$\d/, `loaded run: node ${id} shows its cost`);
  const loaded = await api(t, `/api/runs/${runIds[0]}`);
  assert.ok(loaded.body.costUsd > 0);
  assert.match(await tid('run-cost').innerText(), /^cost \$\d/, 'loaded run: the run panel shows the total');
  assert.equal(await tid('run-parent').count(), 0);
  await tid(`run-history-item-${runIds[1]}`).scrollIntoViewIfNeeded();
  await shot('07-run-history.png');
  assert.deepEqual(
    browser.errors.filter((e) => e.startsWith('pageerror')),
    [],
    'no uncaught errors in the page',
  );
});

test(`a ${PERF_NODES}-node graph renders every node, and panning or zooming re-renders none (timings printed)`, { skip }, async () => {
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'perf 300', draft: bigGraph(PERF_NODES) }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const perf = await browser.context.newPage();
  perf.setDefaultTimeout(60_000);
  await watchEditorLoad(perf, PERF_NODES);
  await perf.goto(`${t.baseUrl}/#graph=${id}`);
  const load = await waitEditorLoad(perf, { nodeCount: PERF_NODES, graphId: id });
  const firstRenderMs = load.graphResponseToAllVisibleMs!;
  assert.equal(await perf.locator('.react-flow__node').count(), PERF_NODES);
  await sleep(400);
  await shot('08-perf-300-nodes.png', perf);

  // Re-renders stay local: selecting one node re-renders that node, not the other 299.
  const renders = () => perf.evaluate(() => (window as unknown as { __studioflowPerf: { nodeRenders: number } }).__studioflowPerf.nodeRenders);
  const beforeSelect = await renders();
  await perf.locator('[data-testid="node-n150"] .sf-node-header').click();
  await waitAttr(tid('inspector', perf), 'data-nodeid', 'n150');
  await sleep(200);
  const selectRenders = (await renders()) - beforeSelect;

  // Scripted pan (1 s, drag on empty canvas) then zoom (1 s, wheel), counting animation frames.
  const beforeMotion = await renders();
  const motion = await measurePanZoom(perf);
  const motionRenders = (await renders()) - beforeMotion;
  const [t0, t1, t2] = motion.transforms;
  assert.notEqual(t1, t0, 'the drag panned the canvas');
  assert.notEqual(t2, t1, 'the wheel zoomed the canvas');
  await shot('09-perf-after-pan-zoom.png', perf);
  await perf.close();

  console.log(
    `editor perf (${PERF_NODES} nodes, headless chromium, --disable-gpu): ` +
      `graph response → all nodes visible ${firstRenderMs.toFixed(0)} ms (target ≤ 1000); ` +
      `navigation → all nodes visible ${load.allNodesVisibleMs!.toFixed(0)} ms (palette and canvas drawn at ${load.meaningfulPaintMs.toFixed(0)} ms, FCP ${load.fcpMs?.toFixed(0)} ms); ` +
      `pan/zoom ${motion.fps.toFixed(1)} fps over ${motion.frames} frames (target ≥ 50), p95 frame ${motion.p95FrameMs.toFixed(1)} ms, worst ${motion.worstFrameMs.toFixed(1)} ms; ` +
      `node re-renders: ${selectRenders} on select, ${motionRenders} during pan/zoom`,
  );
  // Timings are printed, not asserted: on a busy machine they measure the machine. What must hold
  // however loaded the machine is: re-renders stay local.
  assert.ok(selectRenders <= 6, `selecting one node re-rendered ${selectRenders} node components`);
  assert.equal(motionRenders, 0, 'panning and zooming re-render no node component');
});
