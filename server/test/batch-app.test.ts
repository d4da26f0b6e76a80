/**
 * Catalogs in the shoot app (/app/catalog) in a real browser (Debian chromium, playwright-core)
 * against the real API, a worker process and the built app: the seller signs in, uploads a zip of 50
 * photos with a CSV of titles, watches the progress bar fill and every item turn done with its
 * thumbnail, and downloads all results as one zip; a bad zip lists its problems; the same on a phone.
 * Screenshots: test-output/batch/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { makeZip, zipNames } from '@studioflow/nodes/testing';
import { loadConfig } from '../src/config/config';
import { api, sql, startTestApp, type TestApp } from './support/test-app';
import { ensureChromium, launchBrowser, outputDir, type Browser } from './support/browser';

const chrome = ensureChromium();
const skip = chrome.path === null ? `chromium unavailable, catalog e2e skipped: ${chrome.reason}` : false;
if (skip) console.warn(skip);

const SELLER = 'seller@studioflow.test';
const TINY = 'tiny-catalog';
const N = 50;

let t: TestApp;
let shots = '';
let scratch = '';
const browsers: Browser[] = [];

before(async () => {
  if (skip) return;
  const appIndex = join(loadConfig().editorDir, 'app', 'index.html');
  assert.ok(existsSync(appIndex), `${appIndex} is missing: build the web apps first (npm run build -w editor)`);
  shots = await outputDir('batch');
  scratch = await mkdtemp(join(tmpdir(), 'sf-batch-e2e-'));
  const items = await Promise.all(
    Array.from({ length: N }, async (_, k) => ({
      name: `spring/item-${String(k + 1).padStart(2, '0')}.png`,
      data: await sharp({ create: { width: 96, height: 72, channels: 3, background: { r: (k * 47) % 256, g: (k * 91) % 256, b: 180 } } }).png().toBuffer(),
    })),
  );
  await writeFile(join(scratch, 'catalog.zip'), makeZip(items));
  await writeFile(join(scratch, 'catalog.csv'), 'file,title\n' + items.map((i, k) => `${i.name},Spring product ${k + 1}`).join('\n') + '\n');
  await writeFile(join(scratch, 'bad.zip'), makeZip([items[0], { name: '../escape.png', data: items[1].data }, { name: 'notes.txt', data: Buffer.from('hi') }]));
  t = await startTestApp('batchapp');
  await sql(t, `UPDATE tenants SET credit_balance = 10000 WHERE name = 'Demo studio'`);
  await publishTiny();
});

after(async () => {
  for (const b of browsers) {
    await b.page.goto('about:blank').catch(() => undefined);
    await b.close();
  }
  await t?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Decode at 256 px and deliver: a catalog of 50 runs in seconds. */
async function publishTiny(): Promise<void> {
  const graph = await api(t, '/api/v1/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: 'tiny catalog',
      draft: {
        nodes: [
          { id: 'input', type: 'input-image', params: { maxSide: 256 } },
          { id: 'deliver', type: 'deliver', params: { thumbnailSize: 96 } },
        ],
        edges: [{ id: 'e1', source: 'input', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' }],
      },
    }),
  });
  assert.equal(graph.status, 201, JSON.stringify(graph.body));
  const version = await api(t, `/api/v1/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  const published = await api(t, '/api/v1/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: version.body.id, slug: TINY, name: 'Tiny catalog', priceCredits: 1, visibility: 'public', exposedParams: [] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
}

async function signedIn(viewport?: { width: number; height: number }): Promise<Page> {
  const b = await launchBrowser(chrome.path!, viewport);
  browsers.push(b);
  const page = b.page;
  page.setDefaultTimeout(60_000);
  await page.goto(`${t.baseUrl}/app`);
  await page.getByLabel('Email').fill(SELLER);
  await page.getByLabel('Password').fill(t.config.demoPassword);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('shop-name').waitFor();
  await page.getByRole('button', { name: 'Catalog', exact: true }).click();
  await page.waitForURL(/\/app\/catalog$/);
  return page;
}

async function startCatalog(page: Page): Promise<void> {
  await page.getByTestId('batch-template').selectOption({ label: 'Tiny catalog — 1 credit per photo' });
  await page.getByTestId('batch-zip').setInputFiles(join(scratch, 'catalog.zip'));
  await page.getByTestId('batch-csv').setInputFiles(join(scratch, 'catalog.csv'));
  await page.getByRole('button', { name: 'Start catalog' }).click();
  await page.getByTestId('batch-panel').waitFor();
}

test('a seller uploads a 50-photo catalog, watches its progress bar fill, and downloads every result as one zip', { skip }, async () => {
  const page = await signedIn();
  const values: number[] = [];
  await startCatalog(page);
  await page.screenshot({ path: join(shots, 'desktop-started.png'), fullPage: true });
  const bar = page.getByTestId('batch-progress');
  const end = Date.now() + 300_000;
  for (;;) {
    const now = Number(await bar.getAttribute('aria-valuenow'));
    if (values.at(-1) !== now) values.push(now);
    if (now === N) break;
    assert.ok(Date.now() < end, `progress stuck at ${now}/${N}`);
    await page.waitForTimeout(250);
  }
  assert.equal(await bar.getAttribute('aria-valuemax'), String(N));
  assert.ok(values.length >= 2, `the bar moved on screen: ${values.join(' → ')}`);
  assert.deepEqual([...values].sort((a, b) => a - b), values, 'it never goes back');
  await page.getByTestId('batch-counts').filter({ hasText: `${N} done` }).waitFor();
  const items = page.getByTestId('batch-item');
  assert.equal(await items.count(), N);
  assert.match((await items.nth(4).textContent()) ?? '', /Spring product 5.*Done/);
  // Thumbnails loaded (signed result links): the first item's image has pixels.
  await page.waitForFunction(() => {
    const img = (globalThis as any).document.querySelector('[data-testid=batch-item] img');
    return img && img.complete && img.naturalWidth > 0;
  });
  await page.screenshot({ path: join(shots, 'desktop-done.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-download').click()]);
  const names = zipNames(await readFile((await download.path())!));
  assert.equal(names.length, 2 * N, 'a JPEG and a WebP per item');
  assert.ok(names.includes('spring/item-01.jpg') && names.includes('spring/item-50.webp'), names.slice(0, 4).join(', '));
});

test('a bad zip lists every problem on screen and starts nothing', { skip }, async () => {
  const page = await signedIn({ width: 390, height: 844 });
  const before = (await api(t, '/api/v1/batches', { key: t.userKey })).body.length;
  await page.getByTestId('batch-template').selectOption({ label: 'Tiny catalog — 1 credit per photo' });
  await page.getByTestId('batch-zip').setInputFiles(join(scratch, 'bad.zip'));
  await page.getByRole('button', { name: 'Start catalog' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = (await alert.textContent()) ?? '';
  assert.match(text, /escape\.png/);
  assert.match(text, /notes\.txt/);
  await page.screenshot({ path: join(shots, 'phone-problems.png'), fullPage: true });
  assert.equal((await api(t, '/api/v1/batches', { key: t.userKey })).body.length, before);
});

test('on a 390×844 phone the catalog page fits the screen and shows the progress of a running catalog', { skip }, async () => {
  const page = await signedIn({ width: 390, height: 844 });
  await startCatalog(page);
  await page.screenshot({ path: join(shots, 'phone-running.png'), fullPage: false });
  const overflow = await page.evaluate(() => {
    const g = globalThis as any;
    const wide = [...g.document.querySelectorAll('body *')]
      .filter((el: any) => el.getBoundingClientRect().right > g.innerWidth + 1)
      .slice(0, 5)
      .map((el: any) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { by: g.document.documentElement.scrollWidth - g.innerWidth, wide };
  });
  assert.ok(overflow.by <= 0, `no sideways scrolling (${overflow.by} px too wide: ${overflow.wide.join(', ')})`);
  await page.getByTestId('batch-counts').filter({ hasText: `${N} done` }).waitFor({ timeout: 300_000 });
  await page.screenshot({ path: join(shots, 'phone-done.png'), fullPage: false });
});
