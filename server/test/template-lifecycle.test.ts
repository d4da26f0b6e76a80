import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import type { GraphDoc, ManagedTemplate, TemplateChange, TemplateListing } from '@studioflow/runtime/graph';
import { api, sql, startTestApp, type TestApp } from './support/test-app';
import { shootForm, shootToEnd } from './support/test-graphs';

// A template's lifecycle (server/src/templates/template-lifecycle.service.ts): staff repoint it to
// another version of its graph, edit it, unpublish and republish it; every change is in its changelog.

let t: TestApp;
let photo: Buffer;
let graphId: string;
const versionIds: Record<number, string> = {};
let templateId: string;
let rivalStaffKey: string;
const SLUG = 'lifecycle-studio';

/** A white-studio-like graph on a solid background of `color`, or with its composite node renamed. */
function studio(color: string, compositeId = 'composite'): GraphDoc {
  return {
    nodes: [
      { id: 'input', type: 'input-image', params: { maxSide: 768 } },
      { id: 'segment', type: 'segment' },
      { id: compositeId, type: 'studio-composite', params: { background: 'solid', color, fill: 0.8, shadow: 0 } },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: compositeId, targetHandle: 'cutout' },
      { source: compositeId, sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  };
}

async function commit(doc: GraphDoc, message: string): Promise<number> {
  const saved = await api(t, `/api/graphs/${graphId}/draft`, { method: 'PUT', body: JSON.stringify({ draft: doc }) });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const v = await api(t, `/api/graphs/${graphId}/versions`, { method: 'POST', body: JSON.stringify({ message }) });
  assert.equal(v.status, 201, JSON.stringify(v.body));
  versionIds[v.body.version] = v.body.id;
  return v.body.version;
}

async function state(): Promise<ManagedTemplate> {
  const res = await api(t, `/api/v1/templates/managed?graphId=${graphId}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const found = (res.body as ManagedTemplate[]).find((x) => x.id === templateId);
  assert.ok(found, 'staff see the template in their managed list');
  return found;
}

function patch(body: Record<string, unknown>, key = t.staffKey) {
  return api(t, `/api/v1/templates/${templateId}`, { method: 'PATCH', key, body: JSON.stringify(body) });
}

/** The top-left pixel of a shoot's delivered JPEG: the background the template's version paints. */
async function backgroundOf(shoot: { results: { jpeg: string } }): Promise<[number, number, number]> {
  const res = await fetch(`${t.baseUrl}${shoot.results.jpeg}`);
  assert.equal(res.status, 200, 'the delivered image downloads');
  const { data } = await sharp(Buffer.from(await res.arrayBuffer())).extract({ left: 2, top: 2, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
  return [data[0], data[1], data[2]];
}

function near(actual: number[], expected: number[], what: string): void {
  assert.ok(actual.every((c, i) => Math.abs(c - expected[i]) <= 12), `${what}: got rgb(${actual.join(', ')}), expected about rgb(${expected.join(', ')})`);
}

before(async () => {
  t = await startTestApp('tpl-lifecycle', { templatePreviews: true });
  photo = (await makeProductPhoto({ seed: 14, width: 900, height: 700, kind: 'bottle' })).jpeg;
  const created = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'Lifecycle studio', draft: studio('#ffffff') }) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  graphId = created.body.id;
  await commit(studio('#ffffff'), 'white');
  await commit(studio('#1e3a8a'), 'navy');
  await commit(studio('#1e3a8a', 'compose'), 'composite renamed');
  const published = await api(t, '/api/v1/templates', {
    method: 'POST',
    body: JSON.stringify({
      graphVersionId: versionIds[1],
      slug: SLUG,
      name: 'Lifecycle studio',
      exposedParams: [{ nodeId: 'composite', param: 'fill', label: 'Product size', allowed: [0.7, 0.8] }],
      priceCredits: 2,
      visibility: 'private',
    }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  templateId = published.body.id;

  const [rival] = await sql(t, `INSERT INTO tenants (name, credit_balance) VALUES ('Rival shop', 100) RETURNING id`);
  const [u] = await sql(t, `INSERT INTO users (tenant_id, email, role) VALUES ($1, 'staff@rival.test', 'staff') RETURNING id`, [rival.id]);
  rivalStaffKey = 'sf_test_rival_staff';
  await sql(t, `INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [u.id, rival.id, createHash('sha256').update(rivalStaffKey).digest('hex')]);
});

after(async () => {
  await t?.stop();
});

test('staff see what is published: version, latest version, price, params, visibility, who and when', async () => {
  const s = await state();
  assert.equal(s.slug, SLUG);
  assert.equal(s.version, 1);
  assert.equal(s.latestVersion, 3);
  assert.equal(s.priceCredits, 2);
  assert.equal(s.visibility, 'private');
  assert.equal(s.published, true);
  assert.equal(s.publishedBy, 'staff@studioflow.test');
  assert.ok(Date.parse(s.publishedAt) > Date.now() - 600_000);
  assert.equal(s.revision, 1);
  assert.deepEqual(s.exposedParams.map((e) => `${e.nodeId}.${e.param}`), ['composite.fill']);
});

let oldShoot: { id: string; results: { jpeg: string } };

test('repointing to v2 keeps slug, price and labels; sellers get v2 while a v1 shoot stays downloadable', async () => {
  const v1 = await shootToEnd(t, photo, { templateId: SLUG, params: JSON.stringify({ 'composite.fill': 0.7 }) }, 240_000);
  assert.equal(v1.body.status, 'completed', JSON.stringify(v1.body));
  oldShoot = v1.body;
  near(await backgroundOf(v1.body), [255, 255, 255], 'v1 paints white');

  const res = await patch({ revision: 1, graphVersionId: versionIds[2], note: 'navy backdrop' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.version, 2);
  assert.equal(res.body.slug, SLUG);
  assert.equal(res.body.priceCredits, 2);
  assert.equal(res.body.exposedParams[0].label, 'Product size');
  assert.deepEqual(res.body.exposedParams[0].allowed, [0.7, 0.8]);
  assert.equal(res.body.revision, 2);

  const listed = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
  const card = listed.find((x) => x.slug === SLUG);
  assert.equal(card?.graphVersionId, versionIds[2], 'the seller listing names the new version');
  assert.equal(card?.priceCredits, 2);
  assert.equal((card as unknown as Record<string, unknown>).revision, undefined, 'lifecycle fields are staff-only');

  const v2 = await shootToEnd(t, photo, { templateId: SLUG, params: JSON.stringify({ 'composite.fill': 0.7 }) }, 240_000);
  assert.equal(v2.body.status, 'completed', JSON.stringify(v2.body));
  near(await backgroundOf(v2.body), [0x1e, 0x3a, 0x8a], "a seller's shoot after the repoint runs v2");

  const again = await api(t, `/api/v1/shoots/${oldShoot.id}`, { key: t.userKey });
  assert.equal(again.status, 200);
  near(await backgroundOf(again.body), [255, 255, 255], 'the v1 shoot still downloads as v1 made it');
});

test("the card's preview follows the repoint: the seller listing shows v2's image", async () => {
  const end = Date.now() + 300_000;
  let previewUrl: string | undefined;
  while (!previewUrl) {
    const listed = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
    previewUrl = listed.find((x) => x.slug === SLUG)?.previewUrl;
    if (!previewUrl && Date.now() > end) throw new Error(`no preview of ${SLUG} within 300 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const [row] = await sql(t, `SELECT r.status FROM template_previews p JOIN runs r ON r.id = p.run_id WHERE p.graph_version_id = $1`, [versionIds[2]]);
  assert.equal(row?.status, 'completed', "v2's preview run delivered");
  near(await backgroundOf({ results: { jpeg: previewUrl } }), [0x1e, 0x3a, 0x8a], 'the card shows the navy backdrop of v2');
});

test('a version without an exposed param is refused with 422 naming it; nothing changes', async () => {
  const before = await state();
  const res = await patch({ revision: before.revision, graphVersionId: versionIds[3] });
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.match(res.body.message, /composite\.fill/);
  assert.deepEqual(res.body.missingParams, ['composite.fill']);
  // Re-exposing a param of the new version in the same change is how to move to it.
  const moved = await patch({
    revision: before.revision,
    graphVersionId: versionIds[3],
    exposedParams: [{ nodeId: 'compose', param: 'fill', label: 'Product size' }],
  });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  assert.equal(moved.body.version, 3);
  // And back to v2 (an older version) with its own param.
  const back = await patch({ revision: moved.body.revision, graphVersionId: versionIds[2], exposedParams: before.exposedParams, note: 'back to v2' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal(back.body.version, 2);
});

test('an invalid version, another graph\'s version, an unknown version and bad input are refused', async () => {
  const s = await state();
  const [broken] = await sql(
    t,
    `INSERT INTO graph_versions (graph_id, tenant_id, version, doc, message, created_by)
     SELECT graph_id, tenant_id, 99, $2, 'broken', created_by FROM graph_versions WHERE id = $1 RETURNING id`,
    [versionIds[2], JSON.stringify({ ...studio('#000000'), edges: [] })],
  );
  const invalid = await patch({ revision: s.revision, graphVersionId: broken.id });
  assert.equal(invalid.status, 422, JSON.stringify(invalid.body));
  assert.match(invalid.body.message, /v99 has problems/);
  assert.ok(invalid.body.problems.length > 0);

  const [shipped] = await sql(t, `SELECT t.graph_version_id FROM templates t WHERE t.slug = 'white-studio'`);
  const foreign = await patch({ revision: s.revision, graphVersionId: shipped.graph_version_id });
  assert.equal(foreign.status, 422);
  assert.match(foreign.body.message, /another graph/);
  assert.equal((await patch({ revision: s.revision, graphVersionId: '00000000-0000-4000-8000-000000000000' })).status, 404);
  assert.equal((await patch({ revision: s.revision, priceCredits: -1 })).status, 400);
  assert.equal((await patch({ priceCredits: 3 })).status, 400, 'the revision is required');
  assert.equal((await state()).revision, s.revision, 'nothing changed');
});

test('two staff repointing at once: one wins, the other gets 409 with the current state', async () => {
  const s = await state();
  const [a, b] = await Promise.all([
    patch({ revision: s.revision, graphVersionId: versionIds[1], note: 'a' }),
    patch({ revision: s.revision, priceCredits: 5, note: 'b' }),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, [200, 409], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`);
  const [won, lost] = a.status === 200 ? [a, b] : [b, a];
  assert.equal(lost.body.current.revision, won.body.revision, 'the loser sees the winner\'s state');
  assert.equal(lost.body.current.version, won.body.version);
  assert.match(lost.body.message, /changed meanwhile/);
  // Settle on v2 at price 2 again for the tests after this one.
  const settled = await patch({ revision: won.body.revision, graphVersionId: versionIds[2], priceCredits: 2 });
  assert.equal(settled.status, 200, JSON.stringify(settled.body));
});

test('unpublish hides the template from sellers (404 on start) while its shoots stay; republish brings it back', async () => {
  const s = await state();
  const off = await api(t, `/api/v1/templates/${templateId}/unpublish`, { method: 'POST', body: JSON.stringify({ revision: s.revision, note: 'seasonal' }) });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.published, false);
  assert.ok(off.body.unpublishedAt);

  const listed = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
  assert.ok(!listed.some((x) => x.slug === SLUG), 'sellers no longer see it');
  const start = await api(t, '/api/v1/shoots', { method: 'POST', key: t.userKey, body: shootForm(photo, { templateId: SLUG }) });
  assert.equal(start.status, 404, JSON.stringify(start.body));
  const old = await api(t, `/api/v1/shoots/${oldShoot.id}`, { key: t.userKey });
  assert.equal(old.status, 200);
  assert.equal(old.body.status, 'completed');
  near(await backgroundOf(old.body), [255, 255, 255], "an unpublished template's shoot still downloads");
  assert.equal((await state()).published, false, 'staff still manage it');

  const twice = await api(t, `/api/v1/templates/${templateId}/unpublish`, { method: 'POST', body: JSON.stringify({ revision: off.body.revision }) });
  assert.equal(twice.status, 409);

  const on = await api(t, `/api/v1/templates/${templateId}/republish`, { method: 'POST', body: JSON.stringify({ revision: off.body.revision }) });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.published, true);
  const relisted = (await api(t, '/api/v1/templates', { key: t.userKey })).body as TemplateListing[];
  assert.ok(relisted.some((x) => x.slug === SLUG), 'sellers see it again');
  const shoot = await shootToEnd(t, photo, { templateId: SLUG }, 240_000);
  assert.equal(shoot.body.status, 'completed', JSON.stringify(shoot.body));
});

test('the changelog says who changed what and when: versions, price, visibility, notes', async () => {
  const s = await state();
  const vis = await patch({ revision: s.revision, visibility: 'public', priceCredits: 3, note: 'open to all shops' });
  assert.equal(vis.status, 200, JSON.stringify(vis.body));
  const res = await api(t, `/api/v1/templates/${templateId}/changelog`);
  assert.equal(res.status, 200);
  const log = res.body as TemplateChange[];
  const actions = log.map((c) => c.action).reverse();
  assert.deepEqual(actions, ['published', 'updated', 'updated', 'updated', 'updated', 'updated', 'unpublished', 'republished', 'updated']);
  assert.ok(log.every((c) => c.changedBy === 'staff@studioflow.test' && Date.parse(c.changedAt) > 0));
  const first = log[log.length - 1];
  assert.equal(first.toVersion, 1);
  assert.deepEqual(first.changes.priceCredits, { to: 2 });
  const repoint = log[log.length - 2];
  assert.deepEqual([repoint.fromVersion, repoint.toVersion, repoint.note], [1, 2, 'navy backdrop']);
  assert.deepEqual(log[0].changes.visibility, { from: 'private', to: 'public' });
  assert.equal(log[0].note, 'open to all shops');
  assert.deepEqual(log[0].changes.priceCredits, { from: 2, to: 3 });
  assert.equal(log.find((c) => c.action === 'unpublished')?.note, 'seasonal');
});

test("other tenants get 404; sellers and reviewers get 403", async () => {
  const s = await state();
  const rival = { key: rivalStaffKey };
  assert.equal((await api(t, `/api/v1/templates/${templateId}`, { ...rival, method: 'PATCH', body: JSON.stringify({ revision: s.revision, priceCredits: 0 }) })).status, 404);
  assert.equal((await api(t, `/api/v1/templates/${templateId}/unpublish`, { ...rival, method: 'POST', body: JSON.stringify({ revision: s.revision }) })).status, 404);
  assert.equal((await api(t, `/api/v1/templates/${templateId}/changelog`, rival)).status, 404);
  const rivalManaged = await api(t, `/api/v1/templates/managed`, rival);
  assert.equal(rivalManaged.status, 200);
  assert.ok(!rivalManaged.body.some((x: ManagedTemplate) => x.id === templateId), "another tenant's templates are not theirs to manage");
  for (const key of [t.userKey, t.config.devKeys.reviewer]) {
    assert.equal((await patch({ revision: s.revision, priceCredits: 0 }, key)).status, 403);
    assert.equal((await api(t, `/api/v1/templates/${templateId}/unpublish`, { key, method: 'POST', body: JSON.stringify({ revision: s.revision }) })).status, 403);
    assert.equal((await api(t, `/api/v1/templates/${templateId}/republish`, { key, method: 'POST', body: JSON.stringify({ revision: s.revision }) })).status, 403);
    assert.equal((await api(t, `/api/v1/templates/${templateId}/changelog`, { key })).status, 403);
    assert.equal((await api(t, `/api/v1/templates/managed`, { key })).status, 403);
  }
  assert.equal((await state()).revision, s.revision, 'nothing changed');
});
