/**
 * A canvas you can read and work on (issue 14), in Debian chromium against the real API and the
 * built editor: the start screen offers the shipped templates; the best-of-three template opens with
 * readable labels and the port legend; a refused connection says why; a connection dropped on an
 * occupied input replaces its edge and Ctrl+Z brings it back; right-click duplicate and delete; a
 * sticky note survives save and reload; a templates/*.json file imports. Screenshots: test-output/editor/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { centre, closeEditorSession, dragConnection, openEditorSession, sleep, until, type EditorSession } from './support/editor-page';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const document: any;
declare const getComputedStyle: any;
declare const location: { hash: string };

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, editor canvas test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

const TEMPLATES_DIR = join(__dirname, '..', '..', '..', 'templates');
const MIN_LABEL_PX = 9;
let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';

before(async () => {
  if (skip) return;
  session = await openEditorSession('canvasread');
  ({ t, browser, page, shots } = session);
});

after(() => closeEditorSession(session));

const connect = (from: Locator, to: Locator, held?: () => Promise<void>) => dragConnection(page, from, to, held);
const tid = (id: string) => page.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });
/** The shipped templates name their edges ("e1"): find an edge by its ends. */
const edge = (source: string, target: string) => page.locator(`.react-flow__edge[aria-label="Edge from ${source} to ${target}"]`);

/**
 * A point of bare canvas (no node, edge, note or panel under it), scanning the visible canvas; every
 * offset in `alsoBare` from it must be bare too.
 */
async function emptyCanvasPoint(alsoBare: Array<[number, number]> = []): Promise<{ x: number; y: number }> {
  const point = await page.evaluate((offsets: Array<[number, number]>) => {
    const box = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
    const bare = (x: number, y: number) => document.elementFromPoint(x, y)?.classList.contains('react-flow__pane');
    for (let fy = 0.15; fy < 0.95; fy += 0.025) {
      for (let fx = 0.3; fx < 0.95; fx += 0.025) {
        const x = box.left + box.width * fx;
        const y = box.top + box.height * fy;
        if (bare(x, y) && offsets.every(([dx, dy]) => bare(x + dx, y + dy))) return { x, y };
      }
    }
    return null;
  }, alsoBare);
  assert.ok(point, 'some bare canvas is visible');
  return point;
}

/** Rendered size (CSS px × zoom) of the node titles and port labels on screen. */
function renderedLabelSizes(): Promise<{ zoom: number; names: number[]; ports: number[] }> {
  return page.evaluate(() => {
    const viewport = document.querySelector('.react-flow__viewport');
    const zoom = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).a;
    const canvas = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
    const onScreen = (el: any) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > canvas.left && r.left < canvas.right && r.bottom > canvas.top && r.top < canvas.bottom;
    };
    const sizes = (selector: string) =>
      [...document.querySelectorAll(selector)].filter(onScreen).map((el: any) => parseFloat(getComputedStyle(el).fontSize) * zoom);
    return { zoom, names: sizes('.sf-node-name'), ports: sizes('.sf-port-label') };
  });
}
declare const DOMMatrixReadOnly: any;

test('the start screen lists the shipped templates; best-of-three opens readable, with the port legend', { skip }, async () => {
  await page.goto(`${t.baseUrl}/`);
  await tid('start-screen').waitFor();
  for (const slug of ['white-studio', 'marketplace-studio', 'ai-scene', 'ai-scene-best-of-three']) {
    await tid(`start-template-${slug}`).waitFor();
  }
  await tid('btn-start-blank').waitFor();
  await shot('canvas-01-start-screen.png');

  await tid('start-template-ai-scene-best-of-three').click();
  await tid('start-screen').waitFor({ state: 'detached' });
  await tid('node-deliver').waitFor({ state: 'attached' });
  assert.equal(await tid('graph-name').innerText(), 'AI scene, best of three');
  // The fit settles once every node is measured.
  const sizes = await until('the fit at a readable zoom', renderedLabelSizes, (s) => s.names.length > 0 && s.zoom >= 0.79);
  assert.ok(sizes.zoom <= 1.1, `zoom ${sizes.zoom}`);
  assert.ok(Math.min(...sizes.names) >= MIN_LABEL_PX, `node titles render at ${Math.min(...sizes.names).toFixed(1)} px`);
  assert.ok(Math.min(...sizes.ports) >= MIN_LABEL_PX, `port labels render at ${Math.min(...sizes.ports).toFixed(1)} px`);
  // The graph's start is in view: the input node, its segmenter.
  await until('the input node on screen', () => tid('node-input').isVisible(), Boolean);
  assert.equal(await tid('node-input').locator('.sf-node-name').isVisible(), true);
  assert.equal(await tid('node-resource-segment').innerText(), 'CPU');
  assert.equal(await tid('node-resource-generate-a').innerText(), 'CLOUD');
  assert.equal(await tid('node-resource-gate').innerText(), 'SCHED');

  await tid('port-legend').waitFor();
  assert.equal(await tid('legend-mask').isVisible(), true, 'the legend names the mask colour');
  assert.match(await tid('port-legend').innerText(), /Image[\s\S]*Mask[\s\S]*Prompt/);
  await shot('canvas-02-best-of-three-fit.png');

  // Zoomed far out, nodes draw their titles only (level of detail).
  await page.evaluate(() => undefined);
  const box = (await tid('canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  // Small wheel steps, stopping just past the threshold, so the screenshot shows the compact look.
  for (let i = 0; i < 40 && (await tid('canvas').getAttribute('data-compact')) !== 'true'; i++) {
    await page.mouse.wheel(0, 60);
    await sleep(120);
  }
  await until('compact nodes', () => tid('canvas').getAttribute('data-compact'), (c) => c === 'true');
  const compactNames = (await renderedLabelSizes()).names;
  assert.ok(Math.min(...compactNames) >= MIN_LABEL_PX, `compact titles stay readable: ${Math.min(...compactNames).toFixed(1)} px`);
  assert.equal(await tid('node-segment').locator('.sf-port-label').first().isVisible(), false, 'port labels hidden when compact');
  await shot('canvas-03-zoomed-out-compact.png');
  await page.locator('.react-flow__controls-fitview').click();
  await until('fit back to readable', renderedLabelSizes, (s) => s.zoom >= 0.79);
  await until('full nodes', () => tid('canvas').getAttribute('data-compact'), (c) => c === 'false');
  assert.equal(await tid('node-segment').locator('.sf-port-label').first().isVisible(), true);
});

test('a refused connection says why; a drop on an occupied input replaces its edge, and Ctrl+Z restores it', { skip }, async () => {
  // mask → the generator's cut-out input: refused while dragging and after the drop, in the validator's words.
  await connect(tid('handle-segment-out-mask'), tid('handle-generate-a-in-cutout'), async () => {
    const hint = tid('connection-refused');
    await hint.waitFor();
    assert.match(await hint.innerText(), /mask can't feed cutout/);
    await shot('canvas-04-refused-connection.png');
  });
  await tid('connection-refused').waitFor();
  assert.match(await tid('connection-refused').innerText(), /mask can't feed cutout/, 'the reason stays after the drop');
  assert.equal(await page.locator('[data-testid^="rf__edge-e-segment.mask-"]').count(), 0, 'no edge was made');
  await tid('connection-refused').waitFor({ state: 'detached', timeout: 10_000 });

  // Right-click → Duplicate gives a second input node, selected beside the first.
  await tid('node-input').locator('.sf-node-header').click({ button: 'right' });
  await tid('context-menu-node').waitFor();
  await shot('canvas-05-node-menu.png');
  await tid('menu-node-duplicate').click();
  await tid('node-input-image_1').waitFor();

  const edgesBefore = await page.locator('.react-flow__edge').count();
  await edge('input', 'segment').waitFor({ state: 'attached' });
  await connect(tid('handle-input-image_1-out-image'), tid('handle-segment-in-image'));
  await edge('input-image_1', 'segment').waitFor({ state: 'attached' });
  await edge('input', 'segment').waitFor({ state: 'detached' });
  assert.equal(await page.locator('.react-flow__edge').count(), edgesBefore, 'the new edge replaced the old one');
  await shot('canvas-06-edge-replaced.png');

  await page.keyboard.press('Control+z');
  await edge('input', 'segment').waitFor({ state: 'attached' });
  await edge('input-image_1', 'segment').waitFor({ state: 'detached' });
  await page.keyboard.press('Control+Shift+z');
  await edge('input-image_1', 'segment').waitFor({ state: 'attached' });
  await page.keyboard.press('Control+z');
  await edge('input', 'segment').waitFor({ state: 'attached' });

  // Right-click → Delete removes the duplicate (and only it).
  await tid('node-input-image_1').locator('.sf-node-header').click({ button: 'right' });
  await tid('menu-node-delete').click();
  await tid('node-input-image_1').waitFor({ state: 'detached' });
  await tid('node-input').waitFor();
});

test('a sticky note is saved in the graph and comes back after a reload', { skip }, async () => {
  const at = await emptyCanvasPoint();
  await page.mouse.click(at.x, at.y, { button: 'right' });
  await tid('context-menu-canvas').waitFor();
  await shot('canvas-07-canvas-menu.png');
  await tid('menu-canvas-add-note').click();
  await tid('ann-note-1').waitFor();
  await tid('ann-title-note-1').fill('Why three');
  await tid('ann-text-note-1').fill('Three scenes at once: the best unchanged product wins.');

  await tid('btn-save').click();
  await tid('save-name').fill('Canvas note test');
  await tid('btn-save-confirm').click();
  await tid('save-dialog').waitFor({ state: 'detached' });
  await until('saved', () => tid('save-state').getAttribute('data-dirty'), (d) => d === 'false');
  const graphId = await until('graph id in the URL', () => page.evaluate(() => /graph=([^&]+)/.exec(location.hash)?.[1] ?? ''), Boolean);
  const stored = await fetch(`${t.baseUrl}/api/graphs/${graphId}`, { headers: { authorization: `Bearer ${t.staffKey}` } }).then((r) => r.json() as Promise<{ draft: { annotations?: Array<{ kind: string; title: string }> } }>);
  assert.deepEqual(
    stored.draft.annotations?.map((a: { kind: string; title: string }) => [a.kind, a.title]),
    [['note', 'Why three']],
    'the note is part of the saved document',
  );

  await page.reload();
  await tid('ann-note-1').waitFor();
  assert.equal(await tid('ann-title-note-1').inputValue(), 'Why three');
  assert.match(await tid('ann-text-note-1').inputValue(), /best unchanged product/);
  await tid('start-screen').waitFor({ state: 'detached', timeout: 1000 }).catch(() => undefined);
  assert.equal(await tid('start-screen').count(), 0, 'an open graph shows no start screen');
  await shot('canvas-08-note-after-reload.png');
});

test('edge menu delete with undo; bypass from the node menu; a group carries its nodes; inspector labels from titles', { skip }, async () => {
  // Right-click the input → segment edge at its middle (a straight line between the two handles).
  const a = await centre(tid('handle-input-out-image'));
  const b = await centre(tid('handle-segment-in-image'));
  await page.mouse.click((a.x + b.x) / 2, (a.y + b.y) / 2, { button: 'right' });
  await tid('context-menu-edge').waitFor();
  await tid('menu-edge-delete').click();
  await edge('input', 'segment').waitFor({ state: 'detached' });
  await page.keyboard.press('Control+z');
  await edge('input', 'segment').waitFor({ state: 'attached' });

  // Insert node… on that edge: the new node goes between input and segment.
  await page.mouse.click((a.x + b.x) / 2, (a.y + b.y) / 2, { button: 'right' });
  await tid('menu-edge-insert-node').click();
  await tid('add-node-popup').waitFor();
  await tid('add-node-search').fill('colour correct');
  await tid('add-node-item-colour-correct').click();
  await tid('node-colour-correct_1').waitFor();
  await edge('input', 'colour-correct_1').waitFor({ state: 'attached' });
  await edge('colour-correct_1', 'segment').waitFor({ state: 'attached' });
  await edge('input', 'segment').waitFor({ state: 'detached' });
  await shot('canvas-09b-inserted-node.png');
  await page.keyboard.press('Control+z');
  await edge('input', 'segment').waitFor({ state: 'attached' });
  await tid('node-colour-correct_1').waitFor({ state: 'detached' });

  // Bypassing the segmenter cannot work (no cut-out input to pass on): the problem says so.
  await tid('node-segment').locator('.sf-node-header').click({ button: 'right' });
  await tid('menu-node-toggle-bypass').click();
  await tid('node-bypassed-segment').waitFor();
  await until('a bypass problem', () => tid('problems').innerText(), (text) => /segment is disabled, but its output "cutout"/.test(text));
  await shot('canvas-10-bypass-problem.png');
  await tid('node-segment').locator('.sf-node-header').click({ button: 'right' });
  await tid('menu-node-toggle-bypass').click();
  await tid('node-bypassed-segment').waitFor({ state: 'detached' });
  await until('no problems', () => tid('problems').getAttribute('data-count'), (c) => c === '0');

  // Inspector: labels in words (never camelCase keys), units, no required marks where a default applies.
  await tid('node-segment').locator('.sf-node-header').click();
  await tid('tab-inspector').click();
  await tid('field-shadowTolerance').waitFor();
  assert.match(await tid('field-shadowTolerance').locator('label').first().innerText(), /^Shadow tolerance/);
  assert.equal(await tid('param-feather-unit').innerText(), 'px');
  assert.equal(await tid('inspector-params').locator('.sf-req').count(), 0, 'every segment param has a default');
  // The model is a choice among the known presets, each with its licence.
  assert.deepEqual(await page.locator('#param-model-choices option').evaluateAll((os: any[]) => os.map((o) => o.value)), ['auto', 'birefnet', 'rmbg-1.4', 'rmbg-2.0']);
  await tid('param-model').fill('birefnet');
  assert.match(await tid('param-model-licence').innerText(), /MIT/);
  await tid('param-model').fill('auto');
  await shot('canvas-12-inspector.png');

  // A group drawn on bare canvas; the input node dropped inside it moves when the group moves.
  // Room for the group's title row and the spot the node goes to.
  const at = await emptyCanvasPoint([[10, 0], [10, 30], [200, 0], [200, 30], [120, 90], [200, 130]]);
  await page.mouse.click(at.x, at.y, { button: 'right' });
  await tid('menu-canvas-add-group').click();
  await tid('ann-group-1').waitFor();
  await tid('ann-title-group-1').fill('Inputs');
  const header = tid('node-input').locator('.sf-node-header');
  const from = await centre(header);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(at.x + 120, at.y + 90, { steps: 8 });
  await page.mouse.up();
  const before = (await tid('node-input').boundingBox())!;
  const grip = await centre(tid('ann-grip-group-1'));
  await page.mouse.move(grip.x, grip.y);
  await page.mouse.down();
  await page.mouse.move(grip.x + 40, grip.y + 60, { steps: 8 });
  await page.mouse.up();
  const after = (await tid('node-input').boundingBox())!;
  assert.ok(Math.abs(after.x - before.x - 40) < 14 && Math.abs(after.y - before.y - 60) < 14, `the node moved with its group: ${JSON.stringify({ before, after })}`);
  await shot('canvas-11-group.png');

});

test("importing the repo's own templates/white-studio.json loads its graph", { skip }, async () => {
  await tid('import-file-input').setInputFiles(join(TEMPLATES_DIR, 'white-studio.json'));
  await tid('node-composite').waitFor();
  for (const id of ['input', 'segment', 'deliver']) await tid(`node-${id}`).waitFor();
  assert.equal(await page.locator('.sf-node').count(), 4);
  await edge('composite', 'deliver').waitFor({ state: 'attached' });
  await until('no problems', () => tid('problems').getAttribute('data-count'), (c) => c === '0');
  await shot('canvas-09-imported-white-studio.png');
});
