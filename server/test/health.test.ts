import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, sql, startTestApp, type TestApp } from './support/test-app';

// The orchestrator's probes (server/src/health): no key, 200 or 503 with the failing checks.

let t: TestApp;

before(async () => {
  t = await startTestApp('health', { workers: 1 });
});

after(async () => {
  await t?.stop();
});

async function probe(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.baseUrl}${path}`);
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('live and ready answer 200 without a key; ready names PostgreSQL, Redis and the artifact store', async () => {
  const live = await probe('/api/health/live');
  assert.equal(live.status, 200);
  assert.equal(live.body.status, 'ok');
  const ready = await probe('/api/health/ready');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  for (const check of ['postgres', 'redis', 'artifactStore']) assert.equal(ready.body.info[check].status, 'up', check);
  // The versioned path answers too.
  assert.equal((await probe('/api/v1/health/ready')).status, 200);
});

test('workers: a queue with waiting jobs and no live worker is 503 (stranded); a new worker makes it 200 and runs the job', async () => {
  const running = await until('the worker is seen', () => probe('/api/health/workers'), (r) => r.body.info?.workers?.queues?.cpu?.workers >= 1);
  assert.equal(running.status, 200);
  // No GPU runtime in this test: an empty gpu queue without workers is not a problem.
  assert.equal(running.body.info.workers.queues.gpu.workers, 0);

  const [worker] = t.workers;
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  const photo = await makeProductPhoto({ seed: 3, width: 320, height: 240, kind: 'bottle' });
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  form.set('templateId', 'white-studio');
  const shoot = await api(t, '/api/v1/shoots', { method: 'POST', key: t.userKey, body: form });
  assert.equal(shoot.status, 202, JSON.stringify(shoot.body));

  const stranded = await until('the cpu queue is reported stranded', () => probe('/api/health/workers'), (r) => r.status === 503);
  assert.deepEqual(stranded.body.error.workers.stranded, ['cpu']);
  assert.equal(stranded.body.error.workers.queues.cpu.workers, 0);
  assert.ok(stranded.body.error.workers.queues.cpu.waiting >= 1);
  // Readiness is about this API process: a missing worker does not take it out of routing.
  assert.equal((await probe('/api/health/ready')).status, 200);

  await t.startWorker();
  await until('the shoot completes on the new worker', async () => (await sql(t, `SELECT status FROM runs WHERE id = $1`, [shoot.body.id]))[0].status, (s) => s === 'completed', 120_000);
  const healthy = await until('the workers probe recovers', () => probe('/api/health/workers'), (r) => r.status === 200);
  assert.ok(healthy.body.info.workers.queues.cpu.workers >= 1);
});
