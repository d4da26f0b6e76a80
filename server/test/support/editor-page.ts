/**
 * What the editor's browser tests share: a session (the real API with its workers, Debian chromium,
 * a screenshot folder and a scratch folder) and the page helpers playwright-core lacks (it has no
 * `expect`; @playwright/test is not used).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { loadConfig } from '../../src/config/config';
import { CHROMIUM_PATH, launchBrowser, outputDir, type Browser } from './browser';
import { api, startTestApp, type TestApp } from './test-app';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const window: any;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EditorSession {
  t: TestApp;
  browser: Browser;
  page: Page;
  /** test-output/editor/ */
  shots: string;
  /** A temp folder removed when the session closes. */
  scratch: string;
}

/** Starts the API (scratch database, queue prefix, workers) and chromium side by side; the built editor must exist. */
export async function openEditorSession(label: string, options: Parameters<typeof startTestApp>[1] = {}): Promise<EditorSession> {
  const editorIndex = join(loadConfig().editorDir, 'index.html');
  assert.ok(existsSync(editorIndex), `${editorIndex} is missing: build the editor first (npm run build -w editor)`);
  const shots = await outputDir('editor');
  const scratch = await mkdtemp(join(tmpdir(), `sf-${label}-`));
  const [t, browser] = await Promise.all([startTestApp(label, options), launchBrowser(CHROMIUM_PATH)]);
  browser.page.setDefaultTimeout(60_000);
  return { t, browser, page: browser.page, shots, scratch };
}

/** Stops the page's polling and socket first and lets requests in flight finish before the server goes. */
export async function closeEditorSession(s: EditorSession | undefined): Promise<void> {
  if (!s) return;
  await s.page.goto('about:blank').catch(() => undefined);
  await sleep(250);
  await s.browser.close();
  await s.t.stop();
  await rm(s.scratch, { recursive: true, force: true });
  if (s.browser.errors.length) console.log(`browser console errors:\n  ${s.browser.errors.join('\n  ')}`);
}

/** Polls until `ok` holds, failing with what it last read. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout = 60_000): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

export const waitAttr = (l: Locator, name: string, value: string | null, timeout?: number) =>
  until(`${l} [${name}=${value}]`, () => l.getAttribute(name), (v) => v === value, timeout);

export async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const box = await l.boundingBox();
  assert.ok(box, `${l} has a box`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a connection from one handle to another with the real mouse; `held` runs before release. */
export async function dragConnection(page: Page, from: Locator, to: Locator, held?: () => Promise<void>): Promise<void> {
  const a = await centre(from);
  const b = await centre(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 6 });
  await page.mouse.move(b.x, b.y, { steps: 6 });
  await held?.();
  await page.mouse.up();
}

/** The image's natural width once it has loaded (scrolled into view first: lazy images wait for that). */
export async function imageLoaded(img: Locator): Promise<number> {
  await img.scrollIntoViewIfNeeded();
  return until(`${img} to load`, () => img.evaluate((el: any) => el.naturalWidth as number), (w) => w > 0, 60_000);
}

/** Drops an image file on an element as a file manager would (a DataTransfer carrying a File). */
export async function dropImage(target: Locator, bytes: Buffer, name: string): Promise<void> {
  await target.evaluate(
    (el: any, file: { b64: string; name: string }) => {
      const raw = window.atob(file.b64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const dt = new window.DataTransfer();
      dt.items.add(new window.File([data], file.name, { type: 'image/jpeg' }));
      const box = el.getBoundingClientRect();
      const at = { bubbles: true, cancelable: true, dataTransfer: dt, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
      el.dispatchEvent(new window.DragEvent('dragover', at));
      el.dispatchEvent(new window.DragEvent('drop', at));
    },
    { b64: bytes.toString('base64'), name },
  );
}

/** A graph saved with `draft` and committed as v1 through the API. */
export async function commitGraph(t: TestApp, name: string, draft: GraphDoc, message = 'v1'): Promise<{ graphId: string; versionId: string }> {
  const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name, draft }) });
  assert.equal(graph.status, 201, JSON.stringify(graph.body));
  const version = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message }) });
  assert.equal(version.status, 201, JSON.stringify(version.body));
  return { graphId: graph.body.id, versionId: version.body.id };
}

/** commitGraph's graph id. */
export async function committedGraph(t: TestApp, name: string, draft: GraphDoc): Promise<string> {
  return (await commitGraph(t, name, draft)).graphId;
}

/** A staff test run of a version on a generated 640×480 product photo, waited for until it completed; its id. */
export async function completedTestRun(t: TestApp, graphVersionId: string, photoSeed: number): Promise<string> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array((await makeProductPhoto({ seed: photoSeed, width: 640, height: 480 })).jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('graphVersionId', graphVersionId);
  const run = await api(t, '/api/runs', { method: 'POST', body: form });
  assert.equal(run.status, 202, JSON.stringify(run.body));
  const runId: string = run.body.runId;
  await until('the test run to finish', () => api(t, `/api/runs/${runId}`), (r) => r.body.status === 'completed', 240_000);
  return runId;
}
