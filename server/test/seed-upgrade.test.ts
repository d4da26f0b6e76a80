/**
 * Shipped templates follow their files: a start after an upgrade (the file's graph differs from the
 * shipped version) publishes the file as the template's next version, once; a template whose staff
 * published their own version is left alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedService } from '../src/seed/seed.service';
import { sql, startTestApp, type TestApp } from './support/test-app';

let t: TestApp;

before(async () => {
  t = await startTestApp('seed-upgrade', { workers: 0 });
});

after(async () => {
  await t.stop();
});

const templateVersion = async (slug: string) =>
  (
    await sql(
      t,
      `SELECT v.version, v.message, v.doc, t.description FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id WHERE t.slug = $1 AND t.tenant_id = (SELECT id FROM tenants WHERE name = 'Demo studio')`,
      [slug],
    )
  )[0] as { version: number; message: string; doc: { nodes: Array<{ id: string; params: Record<string, unknown> }> }; description: string };

test('a changed shipped file becomes the template’s next version once; a staff-published version stays', async () => {
  const seed = t.app.get(SeedService);
  // The upgrade: a templates folder whose ai-scene file changed (another threshold, other words).
  const upgradeDir = await mkdtemp(join(tmpdir(), 'sf-templates-'));
  await cp(t.config.templatesDir, upgradeDir, { recursive: true });
  const file = JSON.parse(await readFile(join(upgradeDir, 'ai-scene.json'), 'utf8'));
  file.description = 'Upgraded words.';
  file.graph.nodes.find((n: { id: string }) => n.id === 'fidelity').params.threshold = 0.65;
  await writeFile(join(upgradeDir, 'ai-scene.json'), JSON.stringify(file));
  // The service reads the folder from the app's config object.
  t.config.templatesDir = upgradeDir;

  assert.equal((await templateVersion('ai-scene')).version, 1);
  await seed.seed();
  const upgraded = await templateVersion('ai-scene');
  assert.equal(upgraded.version, 2);
  assert.equal(upgraded.message, 'shipped template update');
  assert.equal(upgraded.doc.nodes.find((n) => n.id === 'fidelity')?.params.threshold, 0.65);
  assert.equal(upgraded.description, 'Upgraded words.');

  await seed.seed();
  assert.equal((await templateVersion('ai-scene')).version, 2, 'an unchanged file adds no version');
  assert.equal((await templateVersion('white-studio')).version, 1, 'templates whose files did not change keep their version');

  // Staff publish their own version of white-studio; a later change of the shipped file leaves it published.
  await sql(
    t,
    `WITH own AS (
       INSERT INTO graph_versions (graph_id, tenant_id, version, doc, message, created_by)
       SELECT v.graph_id, v.tenant_id, 2, jsonb_set(v.doc, '{nodes,2,params,fill}', '0.7'), 'our own fill', v.created_by
         FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id WHERE t.slug = 'white-studio'
       RETURNING id)
     UPDATE templates SET graph_version_id = (SELECT id FROM own) WHERE slug = 'white-studio'`,
  );
  const white = JSON.parse(await readFile(join(upgradeDir, 'white-studio.json'), 'utf8'));
  white.graph.nodes.find((n: { id: string }) => n.id === 'composite').params.shadow = 0.5;
  await writeFile(join(upgradeDir, 'white-studio.json'), JSON.stringify(white));
  await seed.seed();
  const own = await templateVersion('white-studio');
  assert.equal(own.version, 2);
  assert.equal(own.message, 'our own fill', 'the staff version stays published');
  await rm(upgradeDir, { recursive: true, force: true });
});
