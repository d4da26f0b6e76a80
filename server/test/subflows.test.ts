import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, sql, startTestApp, type TestApp } from './support/test-app';

let t: TestApp;
let rivalKey = '';
let cutoutId = '';
let twoSizesVersionId = '';

/** Segment, then compose on white: one input (the photo), one output (the shot), `fill` exposed as "size". */
const cutoutBody = {
  name: 'Cutout',
  description: 'segment and compose on white',
  graph: {
    nodes: [
      { id: 'seg', type: 'segment' },
      { id: 'comp', type: 'studio-composite', params: { fill: 0.85 } },
    ],
    edges: [{ source: 'seg', sourceHandle: 'cutout', target: 'comp', targetHandle: 'cutout' }],
  },
  inputs: [{ name: 'photo', type: 'image', targets: [{ node: 'seg', port: 'image' }] }],
  outputs: [{ name: 'shot', type: 'image', source: { node: 'comp', port: 'image' } }],
  params: [{ name: 'size', node: 'comp', param: 'fill', title: 'Product size' }],
};

before(async () => {
  t = await startTestApp('subflows-api');
  const [rival] = await sql(t, `INSERT INTO tenants (name, credit_balance) VALUES ('Rival subflows', 10) RETURNING id`);
  const [user] = await sql(t, `INSERT INTO users (tenant_id, email, role) VALUES ($1, 'staff@rival-subflows.test', 'staff') RETURNING id`, [rival.id]);
  rivalKey = 'sf_test_rival_subflows_staff';
  await sql(t, `INSERT INTO api_keys (user_id, tenant_id, key_hash, label) VALUES ($1, $2, $3, 'test')`, [user.id, rival.id, createHash('sha256').update(rivalKey).digest('hex')]);
});
after(async () => {
  await t?.stop();
});

async function until(id: string, statuses: string[], timeoutMs = 300_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api(t, `/api/runs/${id}`);
    if (statuses.includes(res.body.status)) return res.body;
    if (['failed', 'cancelled'].includes(res.body.status)) throw new Error(`run ${id} ${res.body.status}: ${res.body.error}`);
    if (Date.now() > deadline) throw new Error(`run ${id} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a subflow is created as version 1 and listed as a node type with its ports and exposed params', async () => {
  const created = await api(t, '/api/subflows', { method: 'POST', body: JSON.stringify(cutoutBody) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  cutoutId = created.body.id;
  assert.equal(created.body.version, 1);
  assert.equal(created.body.params[0].default, 0.85, 'the inner value becomes the default');
  const list = await api(t, '/api/subflows');
  const entry = list.body.find((s: { id: string }) => s.id === cutoutId);
  assert.equal(entry.latestVersion, 1);
  assert.equal(entry.descriptor.type, `subflow:${cutoutId}`);
  assert.deepEqual(entry.descriptor.inputs, [{ name: 'photo', type: 'image' }]);
  assert.deepEqual(entry.descriptor.outputs, [{ name: 'shot', type: 'image' }]);
  assert.equal(entry.descriptor.params.properties.size.maximum, 0.95, 'the inner schema rides along');
  assert.equal(entry.descriptor.params.properties.size.title, 'Product size');
});

test('a subflow whose ports do not fit its inner nodes, or that names a missing param, is refused with 422', async () => {
  const badPort = await api(t, '/api/subflows', {
    method: 'POST',
    body: JSON.stringify({ ...cutoutBody, inputs: [{ name: 'photo', type: 'mask', targets: [{ node: 'seg', port: 'image' }] }] }),
  });
  assert.equal(badPort.status, 422);
  assert.match(badPort.body.message, /input "photo" \(mask\) cannot feed 'seg.image' \(image\)/);
  const badParam = await api(t, '/api/subflows', { method: 'POST', body: JSON.stringify({ ...cutoutBody, params: [{ name: 'x', node: 'comp', param: 'nope' }] }) });
  assert.equal(badParam.status, 422);
  assert.match(badParam.body.message, /names no param "nope" of studio-composite/);
  const unfed = await api(t, '/api/subflows', { method: 'POST', body: JSON.stringify({ ...cutoutBody, inputs: [] }) });
  assert.equal(unfed.status, 422);
  assert.match(unfed.body.message, /required input "image" \(image\) of seg is not connected/);
});

test('a subflow that would contain itself is refused with 422', async () => {
  const self = await api(t, `/api/subflows/${cutoutId}/versions`, {
    method: 'POST',
    body: JSON.stringify({
      ...cutoutBody,
      graph: { nodes: [{ id: 'again', type: `subflow:${cutoutId}` }], edges: [] },
      inputs: [{ name: 'photo', type: 'image', targets: [{ node: 'again', port: 'photo' }] }],
      outputs: [{ name: 'shot', type: 'image', source: { node: 'again', port: 'shot' } }],
      params: [],
    }),
  });
  assert.equal(self.status, 422, JSON.stringify(self.body));
  assert.match(self.body.message, /contains itself|contain itself/);
  assert.equal((await api(t, `/api/subflows/${cutoutId}`)).body.latestVersion, 1, 'nothing was saved');
});

test("another tenant's subflow answers 404 and is not listed", async () => {
  assert.equal((await api(t, `/api/subflows/${cutoutId}`, { key: rivalKey })).status, 404);
  assert.equal((await api(t, `/api/subflows/${cutoutId}/versions/1`, { key: rivalKey })).status, 404);
  assert.equal((await api(t, `/api/subflows/${cutoutId}/versions`, { method: 'POST', key: rivalKey, body: JSON.stringify(cutoutBody) })).status, 404);
  assert.equal((await api(t, `/api/subflows/${cutoutId}`, { method: 'DELETE', key: rivalKey })).status, 404);
  assert.deepEqual((await api(t, '/api/subflows', { key: rivalKey })).body, []);
  assert.equal((await api(t, '/api/subflows/not-a-uuid')).status, 404);
  assert.equal((await api(t, '/api/subflows', { key: t.userKey })).status, 403, 'subflows are staff work');
  const foreignUse = await api(t, '/api/graphs/validate', {
    method: 'POST',
    key: rivalKey,
    body: JSON.stringify({ graph: { nodes: [{ id: 'x', type: `subflow:${cutoutId}` }], edges: [] } }),
  });
  assert.equal(foreignUse.body.ok, false, "a rival's graph cannot use it");
  assert.match(JSON.stringify(foreignUse.body.problems), /unknown node type/);
});

test('used twice in a graph: the version pins the subflow versions, runs with a real worker, and replays from a node inside', async () => {
  const draft = {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'small', type: `subflow:${cutoutId}`, subflowVersion: 1, params: { size: 0.6 } },
      { id: 'large', type: `subflow:${cutoutId}`, subflowVersion: 'latest' },
      { id: 'deliverSmall', type: 'deliver' },
      { id: 'deliverLarge', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'small', targetHandle: 'photo' },
      { source: 'input', sourceHandle: 'image', target: 'large', targetHandle: 'photo' },
      { source: 'small', sourceHandle: 'shot', target: 'deliverSmall', targetHandle: 'image' },
      { source: 'large', sourceHandle: 'shot', target: 'deliverLarge', targetHandle: 'image' },
    ],
  };
  const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'two cut-outs', draft }) });
  assert.equal(graph.status, 201, JSON.stringify(graph.body));
  const committed = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'two sizes' }) });
  assert.equal(committed.status, 201, JSON.stringify(committed.body));
  twoSizesVersionId = committed.body.id;

  // A later edit of the subflow (a grey backdrop) must not change what version 1 of the graph means.
  const v2 = await api(t, `/api/subflows/${cutoutId}/versions`, {
    method: 'POST',
    body: JSON.stringify({ ...cutoutBody, graph: { ...cutoutBody.graph, nodes: [cutoutBody.graph.nodes[0], { ...cutoutBody.graph.nodes[1], params: { ...cutoutBody.graph.nodes[1].params, background: 'solid', color: '#808080' } }] }, message: 'grey' }),
  });
  assert.equal(v2.status, 201, JSON.stringify(v2.body));
  assert.equal(v2.body.version, 2);
  const stored = await api(t, `/api/graphs/${graph.body.id}/versions/1`);
  assert.deepEqual(Object.keys(stored.body.doc.subflows), [`${cutoutId}@1`], 'latest was resolved to v1 when committed');

  const form = new FormData();
  const photo = (await makeProductPhoto({ seed: 31, width: 640, height: 480 })).jpeg;
  form.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('graphVersionId', committed.body.id);
  const started = await api(t, '/api/runs', { method: 'POST', body: form });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const done = await until(started.body.runId, ['completed']);
  const byId = Object.fromEntries(done.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
  for (const id of ['small/seg', 'small/comp', 'large/seg', 'large/comp', 'deliverSmall', 'deliverLarge']) assert.equal(byId[id]?.state, 'done', `${id} ran`);
  const [plan] = await sql(t, `SELECT plan FROM runs WHERE id = $1`, [done.id]);
  assert.deepEqual(plan.plan.subflows.large, { id: cutoutId, version: 1, name: 'Cutout' }, 'the run records the subflow version it ran');
  assert.equal(plan.plan.nodes['small/comp'].params.fill, 0.6, 'the instance param reached the inner node');
  assert.equal(plan.plan.nodes['large/comp'].params.background, 'white', 'version 1 of the graph still runs subflow v1');

  const replay = await api(t, `/api/runs/${done.id}/replay`, { method: 'POST', body: JSON.stringify({ fromNodeId: 'large/comp', params: { fill: 0.7 } }) });
  assert.equal(replay.status, 202, JSON.stringify(replay.body));
  const replayed = await until(replay.body.runId, ['completed']);
  const again = Object.fromEntries(replayed.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
  assert.equal(again['large/seg'].state, 'cached', 'upstream inside the instance is reused');
  assert.deepEqual(again['large/seg'].outputs, byId['large/seg'].outputs);
  assert.equal(again['large/comp'].state, 'done');
  assert.notDeepEqual(again['large/comp'].outputs, byId['large/comp'].outputs, 'the new fill made a new shot');
});

test('a graph using latest picks up the new version on its next commit; a pinned version that does not exist is named', async () => {
  const draft = {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'clean', type: `subflow:${cutoutId}` },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'clean', targetHandle: 'photo' },
      { source: 'clean', sourceHandle: 'shot', target: 'deliver', targetHandle: 'image' },
    ],
  };
  const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'latest cut-out', draft }) });
  const committed = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'latest' }) });
  assert.equal(committed.status, 201, JSON.stringify(committed.body));
  const stored = await api(t, `/api/graphs/${graph.body.id}/versions/${committed.body.version}`);
  assert.deepEqual(Object.keys(stored.body.doc.subflows), [`${cutoutId}@2`]);

  const pinnedMissing = await api(t, `/api/graphs/${graph.body.id}/draft`, {
    method: 'PUT',
    body: JSON.stringify({ draft: { ...draft, nodes: draft.nodes.map((n) => (n.id === 'clean' ? { ...n, subflowVersion: 9 } : n)) } }),
  });
  assert.equal(pinnedMissing.status, 200);
  assert.ok(pinnedMissing.body.problems.some((p: { nodeId: string; message: string }) => p.nodeId === 'clean' && /unknown node type/.test(p.message)), JSON.stringify(pinnedMissing.body.problems));
  const refused = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'broken' }) });
  assert.equal(refused.status, 422);
});

test("a template may expose an instance's param; a shoot's value reaches the inner node", async () => {
  assert.ok(twoSizesVersionId, 'needs the version of the earlier test');
  const published = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: twoSizesVersionId, slug: 'two-cutouts', name: 'Two cut-outs', priceCredits: 1, exposedParams: [{ nodeId: 'large', param: 'size', label: 'Size' }] }),
  });
  assert.equal(published.status, 201, JSON.stringify(published.body));
  const listed = (await api(t, '/api/templates')).body.find((x: { slug: string }) => x.slug === 'two-cutouts');
  assert.deepEqual(listed.options.map((o: { key: string; default: unknown }) => [o.key, o.default, (o as any).schema.maximum]), [['large.size', 0.85, 0.95]]);
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array((await makeProductPhoto({ seed: 32, width: 640, height: 480 })).jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('templateId', 'two-cutouts');
  form.set('params', JSON.stringify({ 'large.size': 0.9 }));
  const shoot = await api(t, '/api/shoots', { method: 'POST', body: form });
  assert.equal(shoot.status, 202, JSON.stringify(shoot.body));
  await until(shoot.body.runId, ['completed']);
  const [row] = await sql(t, `SELECT plan FROM runs WHERE id = $1`, [shoot.body.runId]);
  assert.equal(row.plan.nodes['large/comp'].params.fill, 0.9);
  assert.equal(row.plan.nodes['small/comp'].params.fill, 0.6);
});

test('a deleted subflow is gone for drafts, while committed versions keep what they were committed with', async () => {
  const doomed = await api(t, '/api/subflows', { method: 'POST', body: JSON.stringify({ ...cutoutBody, name: 'Doomed' }) });
  assert.equal(doomed.status, 201);
  const draft = {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'clean', type: `subflow:${doomed.body.id}` },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'clean', targetHandle: 'photo' },
      { source: 'clean', sourceHandle: 'shot', target: 'deliver', targetHandle: 'image' },
    ],
  };
  const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'doomed', draft }) });
  const committed = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(committed.status, 201);
  assert.equal((await api(t, `/api/subflows/${doomed.body.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await api(t, `/api/subflows/${doomed.body.id}`)).status, 404);
  const check = await api(t, '/api/graphs/validate', { method: 'POST', body: JSON.stringify({ graph: draft }) });
  assert.equal(check.body.ok, false, 'a draft can no longer use it');
  const published = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: committed.body.id, slug: 'doomed-cutout', name: 'Doomed', exposedParams: [{ nodeId: 'clean', param: 'size', label: 'Size' }] }),
  });
  assert.equal(published.status, 201, 'the committed version still knows its subflow: ' + JSON.stringify(published.body));
  const listed = (await api(t, '/api/templates')).body.find((x: { slug: string }) => x.slug === 'doomed-cutout');
  assert.equal(listed.needsProvider, undefined, 'and still compiles');
});

test('a draft run of a canvas with an instance records the subflow version it ran, and runs to an instance', async () => {
  const draft = {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'clean', type: `subflow:${cutoutId}`, params: { size: 0.7 } },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'clean', targetHandle: 'photo' },
      { source: 'clean', sourceHandle: 'shot', target: 'deliver', targetHandle: 'image' },
    ],
  };
  const graph = await api(t, '/api/graphs', { method: 'POST', body: JSON.stringify({ name: 'draft cut-out' }) });
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array((await makeProductPhoto({ seed: 33, width: 640, height: 480 })).jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('graph', JSON.stringify(draft));
  form.set('untilNodeId', 'clean');
  const res = await api(t, `/api/graphs/${graph.body.id}/draft-runs`, { method: 'POST', body: form });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const run = await until(res.body.runId, ['completed']);
  const states = Object.fromEntries(run.nodes.map((n: { nodeId: string; state: string }) => [n.nodeId, n.state]));
  assert.deepEqual(Object.keys(states).sort(), ['clean/comp', 'clean/seg', 'input'], 'ran up to the instance, not the deliver node');
  const [snap] = await sql(t, `SELECT d.doc FROM runs r JOIN draft_snapshots d ON d.id = r.draft_snapshot_id WHERE r.id = $1`, [res.body.runId]);
  assert.deepEqual(Object.keys(snap.doc.subflows), [`${cutoutId}@2`], 'the draft is recorded with the subflow version it ran');
});
