/**
 * The shipped "AI scene" template when Replicate is not configured (the default `npm start`): it is
 * seeded and listed, but a shoot of it is refused before anything is charged, with an answer that
 * says what to configure. The run through the stand-in is the browser test (ai-scene-e2e.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, sql, startTestApp, type TestApp } from './support/test-app';
import { shootForm } from './support/test-graphs';

let t: TestApp;
const saved = { token: process.env.REPLICATE_API_TOKEN, baseUrl: process.env.REPLICATE_BASE_URL };

before(async () => {
  delete process.env.REPLICATE_API_TOKEN;
  delete process.env.REPLICATE_BASE_URL;
  t = await startTestApp('aiscenecfg', { workers: 0 });
});
after(async () => {
  await t?.stop();
  if (saved.token !== undefined) process.env.REPLICATE_API_TOKEN = saved.token;
  if (saved.baseUrl !== undefined) process.env.REPLICATE_BASE_URL = saved.baseUrl;
});

const balance = async () => (await sql(t, `SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance as number;
const runCount = async () => Number((await sql(t, `SELECT count(*) AS n FROM runs`))[0].n);

test('the AI scene template is seeded without a provider: hidden from sellers, listed for staff as needing one, with the scene, its options, the tier and the product name exposed', async () => {
  const forSeller = await api(t, '/api/templates', { key: t.userKey });
  assert.equal(forSeller.status, 200);
  assert.ok(!forSeller.body.some((x: { slug: string }) => x.slug === 'ai-scene'), 'a seller does not see a template that cannot run');
  const res = await api(t, '/api/templates', { key: t.staffKey });
  assert.equal(res.status, 200);
  const template = res.body.find((x: { slug: string }) => x.slug === 'ai-scene');
  assert.ok(template, `ai-scene is listed for staff: ${JSON.stringify(res.body.map((x: { slug: string }) => x.slug))}`);
  assert.match(template.needsProvider, /REPLICATE_API_TOKEN.*STUDIOFLOW_COG_MODELS/);
  const exposed = template.exposedParams.map((e: { nodeId: string; param: string }) => `${e.nodeId}.${e.param}`);
  for (const key of ['prompt.scene', 'prompt.title', 'prompt.tier', 'prompt.timeOfDay', 'prompt.props', 'compliance.marketplace']) {
    assert.ok(exposed.includes(key), `${key} is exposed: ${exposed.join(', ')}`);
  }
  // Best of three also needs CLIP for its scores: staff are told both.
  const bestOfThree = res.body.find((x: { slug: string }) => x.slug === 'ai-scene-best-of-three');
  assert.ok(bestOfThree && !forSeller.body.some((x: { slug: string }) => x.slug === 'ai-scene-best-of-three'));
  assert.match(bestOfThree.needsProvider, /REPLICATE_API_TOKEN.*STUDIOFLOW_COG_MODELS/);
  assert.match(bestOfThree.needsProvider, /STUDIOFLOW_CLIP_MODELS/);
});

test('with no generation provider configured an AI scene shoot answers 422 saying what to configure; nothing is charged and no run exists', async () => {
  const photo = await makeProductPhoto({ seed: 31, width: 900, height: 700, kind: 'bottle' });
  const [creditsBefore, runsBefore] = [await balance(), await runCount()];
  const res = await api(t, '/api/shoots', {
    method: 'POST',
    key: t.userKey,
    body: shootForm(photo.jpeg, { templateId: 'ai-scene', params: JSON.stringify({ 'prompt.scene': 'marble-bathroom', 'prompt.title': 'Face serum' }) }),
  });
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.match(res.body.message, /generate-scene needs a provider \(cloud or local\): cloud: set REPLICATE_API_TOKEN.*local: .*STUDIOFLOW_COG_MODELS/, 'the message itself says what to configure');
  const problems: Array<{ nodeId?: string; message: string }> = res.body.problems ?? [];
  const generate = problems.find((p) => p.nodeId === 'generate');
  assert.ok(generate, `the generation node is named: ${JSON.stringify(res.body)}`);
  assert.match(generate.message, /REPLICATE_API_TOKEN.*STUDIOFLOW_COG_MODELS/);
  assert.equal(await balance(), creditsBefore, 'no credits charged');
  assert.equal(await runCount(), runsBefore, 'no run created');
});

test('an AI scene shoot refuses a marketplace whose main-image rules a scene cannot meet (Amazon: pure white)', async () => {
  const photo = await makeProductPhoto({ seed: 32, width: 900, height: 700 });
  const res = await api(t, '/api/shoots', {
    method: 'POST',
    key: t.userKey,
    body: shootForm(photo.jpeg, { templateId: 'ai-scene', params: JSON.stringify({ 'compliance.marketplace': 'amazon' }) }),
  });
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.match(res.body.message, /compliance\.marketplace.*must be one of \["etsy","ebay"\]/);
});
