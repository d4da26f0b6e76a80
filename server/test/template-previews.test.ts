import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { TemplateListing } from '@studioflow/runtime/graph';
import { outputDir } from './support/browser';
import { api, sql, startTestApp, type TestApp } from './support/test-app';

// The preview image on a template's card (server/src/templates/template-previews.service.ts): made at
// start by running the template's current version on the bundled sample photo, through the workers.

let t: TestApp;

before(async () => {
  t = await startTestApp('previews', { templatePreviews: true });
});

after(async () => {
  await t?.stop();
});

/** Polls the seller's template listing until `slug` shows a preview other than `not`. */
async function previewOf(slug: string, not?: string, timeoutMs = 240_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, '/api/v1/templates', { key: t.userKey });
    assert.equal(res.status, 200);
    const listed = (res.body as TemplateListing[]).find((x) => x.slug === slug);
    assert.ok(listed, `${slug} is listed`);
    if (listed.previewUrl && listed.previewUrl !== not) return listed.previewUrl;
    if (Date.now() > end) throw new Error(`no preview for ${slug} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Keeps a preview under test-output/template-previews/ for a person to look at. */
async function keep(name: string, bytes: Buffer): Promise<void> {
  await writeFile(join(await outputDir('template-previews'), name), bytes);
}

async function download(url: string): Promise<{ width: number; height: number; format: string; bytes: Buffer }> {
  assert.match(url, /^\/api\/artifacts\/[a-f0-9]{64}\?t=[-a-f0-9]{36}&exp=\d+&sig=[\w-]{43}$/, 'a signed artifact link');
  const res = await fetch(`${t.baseUrl}${url}`); // no key: an <img> in the shoot app loads it as is
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^image\//);
  const bytes = Buffer.from(await res.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0, format: meta.format ?? '', bytes };
}

test('a fresh server makes a preview of white-studio from the sample photo, charging no tenant', async () => {
  const [before] = await sql(t, `SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`);
  const url = await previewOf('white-studio');
  const image = await download(url);
  assert.ok(image.width >= 64 && image.height >= 64, `a real image: ${image.width}×${image.height} ${image.format}`);
  await keep(`white-studio-v1.${image.format}`, image.bytes);
  const stats = await sharp(image.bytes).stats();
  assert.ok(stats.channels[0].stdev > 5, 'not a blank image: the product is on it');

  // The run was the platform's, free: no tenant charged, nothing in any tenant's shoot list.
  const runs = await sql(
    t,
    `SELECT r.kind, r.price_credits, tn.name FROM template_previews p JOIN runs r ON r.id = p.run_id JOIN tenants tn ON tn.id = r.tenant_id`,
  );
  assert.ok(runs.length >= 1);
  for (const r of runs) {
    assert.equal(r.name, 'Platform');
    assert.equal(r.price_credits, 0);
  }
  assert.equal((await sql(t, `SELECT count(*)::int AS n FROM credit_ledger WHERE kind = 'charge'`))[0].n, 0);
  const [afterBalance] = await sql(t, `SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`);
  assert.equal(afterBalance.credit_balance, before.credit_balance);
  const shoots = await api(t, '/api/v1/shoots', { key: t.staffKey });
  assert.equal(shoots.body.items.length, 0, 'preview runs are not the demo tenant\'s shoots');
});

test('a new version of a template gets a new preview at the next start; an unchanged one is not run again', async () => {
  const first = await previewOf('white-studio');
  const [tpl] = await sql(
    t,
    `SELECT t.id, v.graph_id, v.doc FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id WHERE t.slug = 'white-studio'`,
  );
  // What a shipped-template upgrade or a staff publish does: the template points at a new version.
  const doc = tpl.doc as { nodes: Array<{ id: string; params: Record<string, unknown> }> };
  doc.nodes.find((n) => n.id === 'composite')!.params.fill = 0.5;
  const [version] = await sql(
    t,
    `INSERT INTO graph_versions (graph_id, tenant_id, version, doc, message, created_by)
     SELECT graph_id, tenant_id, version + 1, $2, 'smaller product', created_by FROM graph_versions WHERE id = (SELECT graph_version_id FROM templates WHERE id = $1)
     RETURNING id`,
    [tpl.id, JSON.stringify(doc)],
  );
  await sql(t, `UPDATE templates SET graph_version_id = $2 WHERE id = $1`, [tpl.id, version.id]);
  const runsBefore = (await sql(t, `SELECT count(*)::int AS n FROM template_previews`))[0].n;

  await t.restartApi();
  const second = await previewOf('white-studio', first);
  assert.notEqual(new URL(second, t.baseUrl).pathname, new URL(first, t.baseUrl).pathname, 'another image');
  const secondImage = await download(second);
  await keep(`white-studio-v2.${secondImage.format}`, secondImage.bytes);
  const rows = await sql(t, `SELECT graph_version_id FROM template_previews`);
  assert.equal(rows.length, runsBefore + 1, 'one preview run more: the new version\'s, no other template run again');
  assert.ok(rows.some((r) => r.graph_version_id === version.id));
});
