import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { api, deadline, startTestApp, type TestApp } from './support/test-app';

let t: TestApp;

before(async () => {
  t = await startTestApp('apirestart');
});
after(async () => t?.stop());

test('an API restart mid-run loses nothing: the socket reconnects and resumes from the current state', async () => {
  const photo = await makeProductPhoto({ seed: 31, width: 2400, height: 1800 });
  const socket = io(t.baseUrl, { auth: { token: t.userKey }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 300 });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'p.jpg');
  f.set('templateId', 'white-studio');
  const res = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: f });
  assert.equal(res.status, 202);
  const runId = res.body.runId as string;
  let reconnects = 0;
  const finished = new Promise<string>((resolve) => {
    socket.on('connect', () => {
      reconnects++;
      void socket.emitWithAck('subscribe', { runId }); // resume: the server answers with a snapshot
    });
    socket.on('run.snapshot', (s) => s.id === runId && s.status === 'completed' && resolve('snapshot'));
    socket.on('run.completed', (p) => p.runId === runId && resolve('event'));
  });
  try {
    await socket.emitWithAck('subscribe', { runId });
    await t.restartApi(800); // workers keep running while the API is down
    const how = await Promise.race([finished, deadline(240_000, 'no completion after restart')]).catch(async (err: Error) => {
      const state = await api(t, `/api/shoots/${runId}`, { key: t.userKey });
      const workers = t.workers.map((w) => w.exitCode ?? w.signalCode ?? 'alive').join(',');
      throw new Error(`${err.message}: socket ${socket.connected ? 'connected' : 'disconnected'} after ${reconnects} reconnects; ` +
        `run ${state.body.status} (${state.body.nodes?.map((n: { nodeId: string; state: string }) => `${n.nodeId}:${n.state}`).join(' ')}); workers ${workers}`);
    });
    assert.ok(reconnects >= 1, 'the socket reconnected to the new API');
    assert.ok(how === 'snapshot' || how === 'event');
    const poll = await api(t, `/api/shoots/${runId}`, { key: t.userKey });
    assert.equal(poll.body.status, 'completed');
    assert.ok(poll.body.nodes.every((n: { state: string }) => n.state === 'done'));
    const ledger = await api(t, '/api/shoots', { key: t.userKey });
    assert.equal(ledger.body.filter((r: { id: string }) => r.id === runId).length, 1, 'one run, not duplicated');
  } finally {
    socket.disconnect(); // a reconnecting client would keep this test file alive
  }
});
