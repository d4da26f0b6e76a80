import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProductPhoto, CogStandIn, ReplicateStandIn } from '@studioflow/nodes/testing';
import { api, deadline, startTestApp, sql as sqlOn, type TestApp } from './support/test-app';

// Scene providers end to end: real API, worker process, PostgreSQL and Redis; loopback stand-ins for
// Replicate and a Cog server. The worker inherits this process's environment (startWorker).
const BREAKER_FAILURES = 2;
const PROVIDER_ENV = ['REPLICATE_API_TOKEN', 'REPLICATE_BASE_URL', 'STUDIOFLOW_COG_MODELS'];

let t: TestApp;
let replicate: ReplicateStandIn;
let cog: CogStandIn;
let photo: Buffer;
const providerEnv: Record<string, string> = {};
const sql = (text: string, params: unknown[] = []) => sqlOn(t, text, params);

before(async () => {
  replicate = await ReplicateStandIn.start();
  cog = await CogStandIn.start({ concurrency: 2, behaviour: { stepMs: 5 } });
  Object.assign(providerEnv, {
    REPLICATE_API_TOKEN: 'test-token',
    REPLICATE_BASE_URL: replicate.baseUrl,
    STUDIOFLOW_COG_MODELS: JSON.stringify({ 'flux-fill': { urls: [cog.origin], schema: 'flux-fill' } }),
  });
  Object.assign(process.env, providerEnv, { STUDIOFLOW_BREAKER_FAILURES: String(BREAKER_FAILURES), STUDIOFLOW_BREAKER_COOLDOWN_MS: '600000' });
  t = await startTestApp('providers');
  photo = (await makeProductPhoto({ seed: 5, width: 640, height: 480, kind: 'bottle' })).jpeg;
});
after(async () => {
  await t?.stop();
  await replicate?.close();
  await cog?.close();
});

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

/** photo → segment → compose-prompt (tier) → generate-scene, published as a template. */
async function publishSceneTemplate(slug: string, tier: 'standard' | 'premium', retries?: { attempts: number; backoffMs: number }): Promise<void> {
  const graph = await api(t, '/api/graphs', {
    method: 'POST',
    body: JSON.stringify({
      name: slug,
      draft: {
        nodes: [
          { id: 'input', type: 'input-image', params: {} },
          { id: 'segment', type: 'segment', params: {} },
          { id: 'prompt', type: 'compose-prompt', params: { scene: 'marble-bathroom', tier } },
          { id: 'generate', type: 'generate-scene', params: { size: '1K' }, ...(retries ? { retry: retries } : {}) },
        ],
        edges: [
          { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
          { source: 'segment', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
          { source: 'segment', sourceHandle: 'cutout', target: 'generate', targetHandle: 'cutout' },
          { source: 'prompt', sourceHandle: 'prompt', target: 'generate', targetHandle: 'prompt' },
        ],
      },
    }),
  });
  assert.equal(graph.status, 201, JSON.stringify(graph.body));
  const version = await api(t, `/api/graphs/${graph.body.id}/versions`, { method: 'POST', body: JSON.stringify({ message: 'v1' }) });
  assert.equal(version.status, 201, JSON.stringify(version.body));
  const template = await api(t, '/api/templates', {
    method: 'POST',
    body: JSON.stringify({ graphVersionId: version.body.id, slug, name: slug, priceCredits: 3 }),
  });
  assert.equal(template.status, 201, JSON.stringify(template.body));
}

async function until(runId: string, statuses: string[], ms = 180_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const res = await api(t, `/api/shoots/${runId}`);
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() > end) throw new Error(`run ${runId} is ${res.body.status}, wanted ${statuses.join('|')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function submit(slug: string): Promise<string> {
  const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form({ templateId: slug }) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.runId;
}

async function generateNode(runId: string): Promise<{ state: string; attempts: number; outputs: any; error: string | null }> {
  const [row] = await sql(`SELECT state, attempts, outputs, error FROM node_runs WHERE run_id = $1 AND node_id = 'generate'`, [runId]);
  return row;
}

const balance = async () => (await sql(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`))[0].credit_balance as number;

test('a template no provider can run: hidden from sellers, marked for staff, and a shoot of it answers 422 before any charge', async () => {
  await publishSceneTemplate('scene-no-provider', 'standard');
  for (const k of PROVIDER_ENV) delete process.env[k];
  try {
    const seller = await api(t, '/api/templates', { key: t.userKey });
    assert.equal(seller.status, 200);
    assert.ok(seller.body.some((x: { slug: string }) => x.slug === 'white-studio'));
    assert.equal(seller.body.some((x: { slug: string }) => x.slug === 'scene-no-provider'), false, 'sellers do not see it');
    const staff = await api(t, '/api/templates');
    const listed = staff.body.find((x: { slug: string }) => x.slug === 'scene-no-provider');
    assert.match(listed?.needsProvider ?? '', /REPLICATE_API_TOKEN.*STUDIOFLOW_COG_MODELS/);
    assert.equal(staff.body.find((x: { slug: string }) => x.slug === 'white-studio').needsProvider, undefined);

    const balanceBefore = await balance();
    const [ledgerBefore] = await sql(`SELECT count(*)::int AS n FROM credit_ledger`);
    const [runsBefore] = await sql(`SELECT count(*)::int AS n FROM runs`);
    const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: form({ templateId: 'scene-no-provider' }) });
    assert.equal(res.status, 422);
    assert.match(res.body.message, /scene-no-provider cannot run: generate-scene needs a provider.*REPLICATE_API_TOKEN.*STUDIOFLOW_COG_MODELS/);
    assert.equal(await balance(), balanceBefore, 'nothing charged');
    assert.deepEqual(await sql(`SELECT count(*)::int AS n FROM credit_ledger`), [ledgerBefore]);
    assert.deepEqual(await sql(`SELECT count(*)::int AS n FROM runs`), [runsBefore]);
  } finally {
    Object.assign(process.env, providerEnv);
  }
  const staff = await api(t, '/api/templates');
  assert.equal(staff.body.find((x: { slug: string }) => x.slug === 'scene-no-provider').needsProvider, undefined, 'configured again: runnable');
});

test('cloud outage: the local server takes over within the same attempt, no run fails, and the cloud breaker opens after N failures (GET /api/providers)', async () => {
  await publishSceneTemplate('scene-premium', 'premium');
  replicate.set({ createStatus: 503 });
  const cogAccepted = cog.accepted.length;
  for (let i = 0; i < BREAKER_FAILURES + 1; i++) {
    const runId = await submit('scene-premium');
    const run = await Promise.race([until(runId, ['completed', 'failed']), deadline(180_000, 'shoot did not finish')]);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const node = await generateNode(runId);
    assert.equal(node.attempts, 1, 'the failover used no retry');
    const meta = node.outputs.image.meta;
    assert.equal(meta.sceneProvider, 'local');
    assert.deepEqual(meta.failover.map((s: { provider: string; outcome: string }) => `${s.provider} ${s.outcome}`), [i < BREAKER_FAILURES ? 'cloud failed' : 'cloud skipped']);
  }
  assert.equal(cog.accepted.length - cogAccepted, BREAKER_FAILURES + 1);
  assert.equal(replicate.requestsTo('POST', /\/predictions$/).length, BREAKER_FAILURES, 'once open, the cloud gets no request');

  // Workers publish their breakers to Redis; the API merges them and probes the Cog server.
  const end = Date.now() + 10_000;
  let providers: any;
  for (;;) {
    providers = await api(t, '/api/providers', { key: t.config.devKeys.operator });
    assert.equal(providers.status, 200);
    if (providers.body.providers.find((p: { id: string }) => p.id === 'cloud').breaker.state === 'open' || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const cloud = providers.body.providers.find((p: { id: string }) => p.id === 'cloud');
  const local = providers.body.providers.find((p: { id: string }) => p.id === 'local');
  assert.equal(cloud.breaker.state, 'open');
  assert.equal(cloud.breaker.failures, BREAKER_FAILURES);
  assert.match(cloud.breaker.lastFailure, /503/);
  assert.equal(cloud.configured, true);
  assert.equal(local.breaker.state, 'closed');
  assert.deepEqual(local.servers.map((s: { url: string; health: string }) => [s.url, s.health]), [[cog.origin, 'READY']]);
  const metrics = await fetch(`${t.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${t.config.devKeys.operator}` } }).then((r) => r.text());
  assert.match(metrics, /studioflow_provider_breaker_state\{provider="cloud"\} 2/);
  assert.match(metrics, /studioflow_provider_failures\{provider="cloud"\} 2/);
});

test('both providers down: the job is retried, then the run fails and is refunded exactly once', async () => {
  await publishSceneTemplate('scene-down', 'standard', { attempts: 3, backoffMs: 200 });
  replicate.set({ createStatus: 500 });
  cog.behaviour = { ...cog.behaviour, defunct: true };
  try {
    const balanceBefore = await balance();
    const runId = await submit('scene-down');
    const run = await Promise.race([until(runId, ['completed', 'failed']), deadline(180_000, 'shoot did not finish')]);
    assert.equal(run.status, 'failed');
    const node = await generateNode(runId);
    assert.equal(node.state, 'failed');
    assert.equal(node.attempts, 3, 'every attempt was made');
    assert.match(node.error ?? '', /no scene provider could serve the request/);
    // The refund is written by the failure path: give the ledger a moment, then check it stays at one.
    await new Promise((r) => setTimeout(r, 500));
    const ledger = await sql(`SELECT kind, amount FROM credit_ledger WHERE run_id = $1 ORDER BY id`, [runId]);
    assert.deepEqual(ledger.map((r: { kind: string; amount: number }) => [r.kind, Math.abs(r.amount)]), [['charge', 3], ['refund', 3]]);
    assert.equal(await balance(), balanceBefore);
  } finally {
    cog.behaviour = { ...cog.behaviour, defunct: false };
    replicate.set({});
  }
});
