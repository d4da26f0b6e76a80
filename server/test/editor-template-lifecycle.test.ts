/**
 * A template's lifecycle in the editor (real Chromium, real API): commit v2 of a published pipeline,
 * see the "published v1 · v2 latest" hint, repoint the template in the publish dialog (its exposed
 * params compared), read the changelog, unpublish it; a rollback over unsaved edits warns in an
 * in-app dialog. Screenshots go to test-output/editor/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { GraphDoc, ManagedTemplate, TemplateListing } from '@studioflow/runtime/graph';
import { api, type TestApp } from './support/test-app';
import { ensureChromium, type Browser } from './support/browser';
import { closeEditorSession, openEditorSession, until, type EditorSession } from './support/editor-page';

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, template lifecycle browser test skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

const SLUG = 'lifecycle-in-editor';
let session: EditorSession | undefined;
let t: TestApp;
let browser: Browser;
let page: Page;
let shots = '';
let graphId = '';

function studio(fill: number): GraphDoc {
  return {
    nodes: [
      { id: 'input', type: 'input-image', position: { x: 0, y: 100 } },
      { id: 'segment', type: 'segment', position: { x: 280, y: 100 } },
      { id: 'composite', type: 'studio-composite', position: { x: 560, y: 100 }, params: { background: 'white', fill } },
      { id: 'deliver', type: 'deliver', position: { x: 840, y: 100 } },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      { source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  };
}

const tid = (id: string) => page.getByTestId(id);
const shot = (name: string) => page.screenshot({ path: join(shots, name) });

async function managed(): Promise<ManagedTemplate> {
  const res = await api(t, `/api/v1/templates/managed?graphId=${graphId}`);
  assert.equal(res.status, 200);
  return res.body[0];
}

before(async () => {
  if (skip) return;
  session = await openEditorSession('tpl-lifecycle-editor', { workers: 0 });
  ({ t, browser, page, shots } = session);

  // A published pipeline at v1, and a saved (not yet committed) draft with a bigger product.
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Lifecycle in the editor', draft: studio(0.8) }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  graphId = created.body.id;
  const v1 = await api(t, `/api/graphs/${graphId}/versions`, { method: 'POST', body: JSON.stringify({ message: 'first look' }) });
  assert.equal(v1.status, 201, JSON.stringify(v1.body));
  const published = await api(t, '/api/v1/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: v1.body.id, slug: SLUG, name: 'Lifecycle in the editor', priceCredits: 2, exposedParams: [{ nodeId: 'composite', param: 'fill', label: 'Product size' }] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  const saved = await api(t, `/api/graphs/${graphId}/draft`, { method: 'PUT', body: JSON.stringify({ draft: studio(0.9) }) });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
});

after(() => closeEditorSession(session));

test('commit v2, see "published v1 · v2 latest", repoint the template in the publish dialog and read its changelog', { skip }, async () => {
  await page.goto(`${t.baseUrl}/#graph=${graphId}`);
  await until('the graph to open', () => tid('graph-name').innerText(), (s) => s === 'Lifecycle in the editor');
  await until('the published hint', () => tid('published-hint').innerText(), (s) => s === 'published v1');

  await tid('btn-commit').click();
  await tid('commit-message').fill('bigger product');
  await tid('btn-commit-confirm').click();
  await tid('commit-dialog').waitFor({ state: 'detached' });
  await until('the hint to name the newer version', () => tid('published-hint').innerText(), (s) => s === 'published v1 · v2 latest');
  await shot('template-lifecycle-01-hint.png');

  await tid('btn-publish').click();
  const card = tid(`published-${SLUG}`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-version'), '1');
  const summary = await tid('published-summary').innerText();
  assert.match(summary, /runs v1/);
  assert.match(summary, /v2 latest/);
  assert.match(summary, /2 credits per shot/);
  assert.match(summary, /staff@studioflow\.test/);
  // The dialog offers the latest version; the exposed param's graph value differs between them.
  assert.equal(await tid(`repoint-version-${SLUG}`).inputValue(), '2');
  await tid(`repoint-version-${SLUG}`).selectOption('1');
  await tid(`btn-repoint-${SLUG}`).waitFor({ state: 'detached' });
  assert.equal(await tid(`repoint-preview-${SLUG}`).count(), 0, 'nothing to repoint to the version it runs');
  await tid(`repoint-version-${SLUG}`).selectOption('2');
  const param = tid('repoint-param-composite.fill');
  await until('the exposed param compared', () => param.getAttribute('data-state'), (s) => s === 'changed');
  assert.match(await param.innerText(), /0\.8 → 0\.9/);
  await tid(`lifecycle-note-${SLUG}`).fill('bigger product for the marketplace');
  await shot('template-lifecycle-02-publish-dialog.png');

  await tid(`btn-repoint-${SLUG}`).click();
  await until('the template to run v2', () => card.getAttribute('data-version'), (v) => v === '2');
  const entries = page.getByTestId('changelog-entry');
  await until('two changelog entries', () => entries.count(), (n) => n === 2);
  assert.equal(await entries.nth(0).getAttribute('data-action'), 'updated');
  const newest = await entries.nth(0).innerText();
  assert.match(newest, /v1 → v2/);
  assert.match(newest, /bigger product for the marketplace/);
  assert.equal(await entries.nth(1).getAttribute('data-action'), 'published');
  await shot('template-lifecycle-03-repointed.png');

  const state = await managed();
  assert.equal(state.version, 2);
  assert.equal(state.priceCredits, 2, 'the price stays');
  assert.equal(state.exposedParams[0].label, 'Product size', 'the labels stay');
  const listed = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
  assert.equal(listed.find((x) => x.slug === SLUG)?.graphVersionId, state.graphVersionId, 'sellers get v2');

  // Unpublish, then publish again: sellers lose and regain it, the changelog grows.
  await tid(`btn-unpublish-${SLUG}`).click();
  await until('unpublished', () => tid('published-state').innerText(), (s) => /unpublished/i.test(s));
  const hidden = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
  assert.ok(!hidden.some((x) => x.slug === SLUG), 'sellers no longer see it');
  await shot('template-lifecycle-04-unpublished.png');
  await tid(`btn-republish-${SLUG}`).click();
  await until('published again', () => tid('published-state').innerText(), (s) => /^published$/i.test(s.trim()));
  await until('four changelog entries', () => entries.count(), (n) => n === 4);
  await tid('publish-dialog-close').click();
  await until('the hint after the repoint', () => tid('published-hint').innerText(), (s) => s === 'published v2');
});

test('a stale revision in the dialog shows the conflict and the current state', { skip }, async () => {
  await tid('btn-publish').click();
  const card = tid(`published-${SLUG}`);
  await card.waitFor();
  // Another staff member changes the price meanwhile.
  const before = await managed();
  const other = await api(t, `/api/v1/templates/${before.id}`, { method: 'PATCH', body: JSON.stringify({ revision: before.revision, priceCredits: 4 }) });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  await tid(`lifecycle-price-${SLUG}`).fill('3');
  await tid(`btn-save-template-${SLUG}`).click();
  const error = tid(`lifecycle-error-${SLUG}`);
  await error.waitFor();
  assert.match(await error.innerText(), /changed meanwhile/);
  await until('the current revision shown', () => card.getAttribute('data-revision'), (r) => r === String(other.body.revision));
  assert.match(await tid('published-summary').innerText(), /4 credits per shot/, "the other staff member's price is shown");
  await shot('template-lifecycle-05-conflict.png');
  await tid('publish-dialog-close').click();
});

test('rolling back over unsaved edits warns in an in-app dialog naming them', { skip }, async () => {
  await tid('btn-layout').click(); // an edit: the draft is now unsaved
  await until('the draft to be dirty', () => tid('save-state').getAttribute('data-dirty'), (d) => d === 'true');
  await tid('tab-history').click();
  await tid('btn-rollback-1').click();
  await tid('rollback-confirm').waitFor();
  assert.match(await tid('rollback-unsaved-warning').innerText(), /unsaved changes/);
  assert.match(await tid('btn-rollback-confirm').innerText(), /Discard unsaved changes/);
  await shot('template-lifecycle-06-rollback-warning.png');
  await tid('btn-rollback-cancel').click();
  await tid('rollback-confirm').waitFor({ state: 'detached' });
  assert.equal(await tid('save-state').getAttribute('data-dirty'), 'true', 'cancel keeps the edits');

  await tid('btn-save').click();
  await until('the draft saved', () => tid('save-state').getAttribute('data-dirty'), (d) => d === 'false');
  await tid('btn-rollback-1').click();
  await tid('rollback-confirm').waitFor();
  assert.equal(await tid('rollback-unsaved-warning').count(), 0, 'no warning once nothing is unsaved');
  await tid('btn-rollback-confirm').click();
  await tid('version-3').waitFor();
  await until('v3 in the title', () => tid('btn-graphs').innerText(), (s) => s.includes('v3'));
});
