import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRedis, eventsChannel, NoticePublisher, parseBatch, readRunSeq } from '../src/bullmq';
import { RunEventOrder } from '../src/graph';
import type { RunNotice } from '../src/store';
import { NodeLogTap } from '../src/worker';
import { serviceEnv } from '../src/config';

const redisUrl = serviceEnv().redisUrl;
const prefix = `{sftest-runseq-${randomBytes(4).toString('hex')}}`;
const connections = [createRedis({ url: redisUrl, prefix }), createRedis({ url: redisUrl, prefix }), createRedis({ url: redisUrl, prefix })];
after(() => connections.forEach((c) => c.disconnect()));

test('notices published by two processes for one run are numbered 1, 2, 3, … in the order subscribers hear them', async () => {
  const [a, b, subscriber] = connections;
  const runId = randomUUID();
  const heard: Array<RunNotice & { seq: number }> = [];
  await subscriber.subscribe(eventsChannel(prefix));
  subscriber.on('message', (_channel, message) => heard.push(...parseBatch<RunNotice & { seq: number }>(message)));
  const worker = new NoticePublisher(a, prefix);
  const api = new NoticePublisher(b, prefix);
  const total = 200;
  for (let i = 0; i < total / 2; i++) {
    // Interleaved, and several per event-loop turn (one batched publish each): the worst case for ordering.
    worker.publish([{ type: 'node.progress', runId, tenantId: 't', nodeId: 'segment', progress: i / 100 }]);
    api.publish([{ type: 'node.queued', runId, tenantId: 't', nodeId: `n${i}`, state: 'queued' }]);
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  const until = Date.now() + 20_000;
  while (heard.length < total && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(heard.length, total, 'every notice was heard');
  assert.deepEqual(heard.map((n) => n.seq), Array.from({ length: total }, (_, i) => i + 1), 'seq rises by one in arrival order');
  assert.equal(await readRunSeq(a, prefix, runId), total, 'the counter names the newest seq (what a snapshot reads)');
  // An empty list stays a list (the script splices seq in without re-encoding the payload).
  api.publish([{ type: 'run.completed', runId, tenantId: 't', outputs: { deliver: { tags: [] } as never } }]);
  while (heard.length < total + 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const completed = heard.at(-1) as unknown as { seq: number; outputs: { deliver: { tags: unknown } } };
  assert.equal(completed.seq, total + 1);
  assert.deepEqual(completed.outputs.deliver.tags, []);
});

test('a client drops an event older than what it applied to the node, and a snapshot older than a node event', () => {
  const order = new RunEventOrder();
  assert.equal(order.acceptEvent({ seq: 3, nodeId: 'segment' }), true);
  assert.equal(order.acceptEvent({ seq: 2, nodeId: 'segment' }), false, 'older event for the same node');
  assert.equal(order.acceptEvent({ seq: 3, nodeId: 'segment' }), false, 'the same event twice (a reconnect)');
  assert.equal(order.acceptEvent({ seq: 2, nodeId: 'composite' }), true, 'another node has its own history');
  assert.equal(order.acceptEvent({ nodeId: 'segment' }), true, 'an event without seq (older server) is applied');
  // A poll read at seq 2 and answered after segment's node.started (seq 3): it must not move segment back.
  assert.equal(order.acceptSnapshotNode('segment', 2, 'running', 'queued'), false);
  assert.equal(order.acceptSnapshotNode('segment', 5, 'running', 'done'), true, 'a newer snapshot may finish it');
  // The database never records running: even a newer snapshot says queued for a running node.
  assert.equal(order.acceptSnapshotNode('segment', 9, 'running', 'queued'), false);
  assert.equal(order.acceptSnapshotNode('deliver', 1, undefined, 'pending'), true);
  assert.equal(order.acceptEvent({ seq: 7 }), true);
  assert.equal(order.acceptSnapshotRun(6), false, 'a snapshot older than a run event keeps the run status');
  assert.equal(order.acceptSnapshotRun(7), true);
});

test('a node run logging in a loop streams at most the live rate, keeps a bounded number of truncated lines and says how many it left out', () => {
  const streamed: string[] = [];
  const quiet = { info() {}, warn() {}, error() {} };
  const tap = new NodeLogTap(quiet, 1, (line) => streamed.push(line.message), { maxLineChars: 20, maxKept: 50, livePerSecond: 5 });
  for (let i = 0; i < 300; i++) tap.logger.info(`line ${i} ${'x'.repeat(40)}`);
  const kept = tap.lines();
  assert.equal(kept.length, 51, '50 lines and one that counts the rest');
  assert.match(kept.at(-1)!.message, /250 more lines not kept/);
  assert.ok(kept.slice(0, 50).every((l) => l.message.length <= 20 && l.level === 'info' && l.attempt === 1));
  assert.ok(streamed.length >= 5 && streamed.length <= 6, `streamed ${streamed.length} lines in a burst`);
});
