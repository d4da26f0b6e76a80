/**
 * The shipped "AI scene, best of three" template (templates/ai-scene-best-of-three.json) through the
 * real API, a worker process and the GPU runtime: three generations fan out in parallel (Replicate
 * played by a loopback ReplicateStandIn), each gets a product-fidelity check and a CLIP score (tiny
 * ONNX encoders with CLIP's real I/O names, on the GPU runtime's CPU slot), best-select fans them in
 * and keeps the best, and the shot is delivered. One generation comes back with the product
 * recoloured: it must not be the one delivered.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeProductPhoto, ReplicateStandIn, writeTinyClipModel } from '@studioflow/nodes/testing';
import { api, sql, startTestApp, type TestApp } from './support/test-app';
import { shootForm, shootToEnd } from './support/test-graphs';

const ENV = ['REPLICATE_API_TOKEN', 'REPLICATE_BASE_URL', 'STUDIOFLOW_CLIP_MODELS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const SLUG = 'ai-scene-best-of-three';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let standIn: ReplicateStandIn;
let t: TestApp;
let scratch = '';

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sf-bestof3-'));
  standIn = await ReplicateStandIn.start();
  // Read by the API when it places the plan and inherited by the worker and the GPU runtime.
  process.env.REPLICATE_API_TOKEN = 'test-token';
  process.env.REPLICATE_BASE_URL = standIn.baseUrl;
  process.env.STUDIOFLOW_CLIP_MODELS = JSON.stringify({ 'tiny-clip': await writeTinyClipModel(scratch) });
  t = await startTestApp('bestof3');
  await t.startGpuRuntime();
});

after(async () => {
  await t?.stop();
  await standIn?.close();
  for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout: number): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(value).slice(0, 2000)}`);
    await sleep(200);
  }
}

const balance = async () => (await sql(t, `SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance as number;

type NodeView = { nodeId: string; state: string; outputs?: Record<string, any> };

test('sellers see the template once a provider and a CLIP model are configured, at its price', async () => {
  const res = await api(t, '/api/templates', { key: t.userKey });
  assert.equal(res.status, 200);
  const template = res.body.find((x: { slug: string }) => x.slug === SLUG);
  assert.ok(template, `listed for sellers: ${JSON.stringify(res.body.map((x: { slug: string }) => x.slug))}`);
  assert.equal(template.priceCredits, 7);
  assert.equal(template.needsProvider, undefined);
});

test('three scenes generate in parallel, each is scored, and the best one that kept the product is delivered (never the recoloured one)', async () => {
  // The second prediction created recolours the product; all take 1.5 s, so parallel ones overlap.
  standIn.set({ output: 'scene', outputSize: [768, 768], stepMs: 750, sceneEdits: ['none', 'recolour', 'none'], varyScenes: true });
  const createsBefore = standIn.requestsTo('POST', /\/predictions$/).length;
  const creditsBefore = await balance();
  const photo = await makeProductPhoto({ seed: 41, width: 1000, height: 800, kind: 'box' });
  const shoot = await shootToEnd(t, photo.jpeg, { templateId: SLUG, params: JSON.stringify({ 'prompt.scene': 'marble-bathroom', 'prompt.title': 'Gift box', 'compliance.marketplace': 'ebay' }) }, 300_000);
  assert.equal(shoot.body.status, 'completed', JSON.stringify(shoot.body.error));

  const creates = standIn.requestsTo('POST', /\/predictions$/).slice(createsBefore);
  assert.equal(creates.length, 3, 'one generation per branch, no retry needed');
  const spread = creates[creates.length - 1].at - creates[0].at;
  assert.ok(spread < 1500, `the three generations were requested together, not one after another (${spread} ms apart; each takes 1.5 s)`);

  const nodes: NodeView[] = shoot.body.nodes;
  const node = (id: string) => nodes.find((n) => n.nodeId === id)!;
  for (const id of ['generate-a', 'generate-b', 'generate-c', 'clip-a', 'clip-b', 'clip-c', 'fidelity-a', 'fidelity-b', 'fidelity-c', 'best', 'deliver']) {
    assert.equal(node(id)?.state, 'done', `${id}: ${JSON.stringify(node(id))}`);
  }
  const fidelity = ['a', 'b', 'c'].map((v) => node(`fidelity-${v}`).outputs!.score as { candidate: string; score: number; pass: boolean });
  const recoloured = fidelity.filter((f) => !f.pass);
  assert.equal(recoloured.length, 1, `exactly the recoloured scene fails fidelity: ${JSON.stringify(fidelity)}`);
  const clip = ['a', 'b', 'c'].map((v) => node(`clip-${v}`).outputs!.score as { perCandidate: Array<{ hash: string; score: number }> });
  for (const c of clip) assert.equal(c.perCandidate.length, 1);

  const report = node('best').outputs!.report as { chosen: string; why: string; ranking: Array<{ hash: string; combined: number; eligible: boolean }> };
  assert.notEqual(report.chosen, recoloured[0].candidate, 'the recoloured scene is not chosen');
  // The combined score is 0.4 · CLIP + 0.6 · fidelity (the template's weights), and the chosen is the best eligible one.
  for (const row of report.ranking) {
    const f = fidelity.find((x) => x.candidate === row.hash)!;
    const c = clip.flatMap((x) => x.perCandidate).find((x) => x.hash === row.hash)!;
    assert.ok(Math.abs(row.combined - (0.4 * c.score + 0.6 * f.score)) < 1e-3, `combined of ${row.hash.slice(0, 12)}: ${JSON.stringify(row)}`);
  }
  const best = Math.max(...report.ranking.filter((r) => r.eligible).map((r) => r.combined));
  assert.equal(report.ranking.find((r) => r.hash === report.chosen)!.combined, best);
  assert.match(report.why, /Not chosen because product fidelity failed/);
  assert.equal(node('gate').outputs!.image.hash, report.chosen, 'the gate passed on the chosen scene');

  assert.ok(shoot.body.results.jpeg, 'a JPEG was delivered');
  const jpeg = await fetch(new URL(shoot.body.results.jpeg, t.baseUrl));
  assert.equal(jpeg.status, 200);
  assert.equal(jpeg.headers.get('content-type'), 'image/jpeg');
  assert.equal(creditsBefore - (await balance()), 7, 'charged the template price once');
});

test('cancelling the shoot while the scenes generate cancels every remote prediction and refunds the shoot once', async () => {
  standIn.set({ output: 'scene', outputSize: [768, 768], stepMs: 30_000, sceneEdits: [], varyScenes: true });
  const createsBefore = standIn.requestsTo('POST', /\/predictions$/).length;
  const creditsBefore = await balance();
  const photo = await makeProductPhoto({ seed: 42, width: 900, height: 700, kind: 'bottle' });
  const form = shootForm(photo.jpeg, { templateId: SLUG, params: JSON.stringify({ 'prompt.title': 'Amber bottle' }) });
  const started = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const created = await until('three predictions', async () => standIn.requestsTo('POST', /\/predictions$/).slice(createsBefore), (c) => c.length === 3, 120_000);
  const cancel = await api(t, `/api/shoots/${started.body.id}/cancel`, { method: 'POST', key: t.userKey });
  assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
  const ended = await until('the shoot to be cancelled', () => api(t, `/api/shoots/${started.body.id}`, { key: t.userKey }), (r) => r.body.status === 'cancelled', 120_000);
  assert.equal(ended.body.status, 'cancelled');
  const ids = standIn.createdPredictions().slice(-created.length).map((p) => p.id);
  assert.equal(new Set(ids).size, 3);
  await until('a cancel for each prediction', async () => standIn.requestsTo('POST', /\/cancel$/).map((r) => r.path), (paths) => ids.every((id) => paths.includes(`/v1/predictions/${id}/cancel`)), 60_000);
  assert.equal(await balance(), creditsBefore, 'charged at the start, refunded once on cancel');
  await sleep(1500);
  assert.equal(await balance(), creditsBefore, 'no second refund');
});
