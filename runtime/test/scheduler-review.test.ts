import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, decide, initialSnapshot, PASSED_WITHOUT_REVIEW, type Decision, type RunSnapshot, type SchedulerEvent } from '../src/scheduler';
import { diamond, testCatalog } from './support/test-nodes';

const catalog = testCatalog().descriptors;
const reviewed = compilePlan(
  {
    nodes: [
      { id: 'A', type: 'source', params: { value: 1 } },
      { id: 'R', type: 'review' },
      { id: 'B', type: 'pass' },
    ],
    edges: [
      { source: 'A', sourceHandle: 'out', target: 'R', targetHandle: 'value' },
      { source: 'R', sourceHandle: 'value', target: 'B', targetHandle: 'in' },
    ],
  },
  catalog,
);
const enqueued = (ds: Decision[]) => ds.filter((d) => d.kind === 'enqueue') as Array<Extract<Decision, { kind: 'enqueue' }>>;
const value = (v: number) => ({ out: { value: v, path: [] } });

function step(plan: typeof reviewed, s: RunSnapshot, e: SchedulerEvent) {
  return decide(plan, s, e);
}

function parked(): RunSnapshot {
  let s = step(reviewed, initialSnapshot(reviewed), { kind: 'start' }).snapshot;
  s = step(reviewed, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: value(1) }).snapshot;
  return s;
}

test('a review node parks the run: no job, run awaiting_review', () => {
  let s = step(reviewed, initialSnapshot(reviewed), { kind: 'start' }).snapshot;
  const r = step(reviewed, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: value(1) });
  s = r.snapshot;
  assert.equal(s.nodes.R.state, 'awaiting_review');
  assert.equal(s.status, 'awaiting_review');
  assert.deepEqual(enqueued(r.decisions), []);
  assert.ok(r.decisions.some((d) => d.kind === 'run_status' && d.status === 'awaiting_review'));
});

test('approve resumes: the review passes its input through and the next node runs', () => {
  const r = step(reviewed, parked(), { kind: 'review_decided', nodeId: 'R', generation: 1, decision: 'approve', note: 'ok' });
  assert.equal(r.snapshot.status, 'running');
  assert.deepEqual(r.snapshot.nodes.R.outputs, { value: value(1).out, decision: { decision: 'approve', note: 'ok' } });
  assert.deepEqual(enqueued(r.decisions).map((d) => [d.nodeId, d.inputs]), [['B', { in: value(1).out }]]);
});

test('reject fails the run and refunds once', () => {
  const r = step(reviewed, parked(), { kind: 'review_decided', nodeId: 'R', generation: 1, decision: 'reject', note: 'logo blurred' });
  assert.equal(r.snapshot.status, 'failed');
  assert.equal(r.snapshot.nodes.R.error, 'rejected by reviewer: logo blurred');
  assert.equal(r.decisions.filter((d) => d.kind === 'refund').length, 1);
  assert.equal(r.snapshot.nodes.B.state, 'skipped');
});

test('retry re-runs the named upstream node with adjusted params, then parks again', () => {
  let r = step(reviewed, parked(), { kind: 'review_decided', nodeId: 'R', generation: 1, decision: 'retry', rerunFrom: 'A', params: { value: 5 } });
  const [job] = enqueued(r.decisions);
  assert.deepEqual([job.nodeId, job.generation, job.params], ['A', 3, { value: 5 }]);
  assert.equal(r.snapshot.nodes.R.state, 'pending');
  assert.equal(r.snapshot.status, 'running');
  const stale = step(reviewed, r.snapshot, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: value(1) });
  assert.deepEqual(stale.decisions, [], 'a result of the old generation is ignored');
  r = step(reviewed, r.snapshot, { kind: 'node_succeeded', nodeId: 'A', generation: 3, outputs: value(5) });
  assert.equal(r.snapshot.nodes.R.state, 'awaiting_review');
  assert.equal(r.snapshot.nodes.R.generation, 3);
});

test('retry from a node that is not upstream of the review changes nothing', () => {
  const r = step(reviewed, parked(), { kind: 'review_decided', nodeId: 'R', generation: 1, decision: 'retry', rerunFrom: 'B' });
  assert.deepEqual(r.decisions, []);
});

test('re-drive reopens a failed run from its failed node with a new charge', () => {
  const plan = compilePlan(diamond, catalog);
  let s = step(plan, initialSnapshot(plan), { kind: 'start' }).snapshot;
  s = step(plan, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: value(1) }).snapshot;
  s = step(plan, s, { kind: 'node_succeeded', nodeId: 'C', generation: 1, outputs: value(2) }).snapshot;
  s = step(plan, s, { kind: 'node_failed', nodeId: 'B', generation: 1, error: 'model timeout' }).snapshot;
  assert.equal(s.status, 'failed');
  const r = step(plan, s, { kind: 'redrive', reason: 'staff re-drive' });
  assert.equal(r.snapshot.status, 'running');
  assert.equal(r.decisions.filter((d) => d.kind === 'charge').length, 1);
  assert.deepEqual(enqueued(r.decisions).map((d) => [d.nodeId, d.generation]), [['B', 3]]);
  assert.equal(r.snapshot.nodes.C.state, 'done', 'finished work is kept');
  assert.equal(r.snapshot.nodes.D.state, 'pending');
  assert.deepEqual(step(plan, s, { kind: 'start' }).decisions, [], 'a failed run ignores other events');
});

test('a run seeded with finished nodes (replay) starts at the first unfinished node', () => {
  const plan = compilePlan(diamond, catalog);
  const given = { A: { state: 'cached' as const, generation: 0, outputs: value(1) }, C: { state: 'cached' as const, generation: 0, outputs: value(2) } };
  const r = step(plan, initialSnapshot(plan, {}, given), { kind: 'start' });
  assert.deepEqual(enqueued(r.decisions).map((d) => d.nodeId), ['B']);
});

const onlyDoubtful = compilePlan(
  {
    nodes: [
      { id: 'A', type: 'source' },
      { id: 'R', type: 'review', params: { park: 'doubtful' } },
      { id: 'B', type: 'pass' },
    ],
    edges: [
      { source: 'A', sourceHandle: 'out', target: 'R', targetHandle: 'value' },
      { source: 'R', sourceHandle: 'value', target: 'B', targetHandle: 'in' },
    ],
  },
  catalog,
);
const cutout = (verdict: 'trusted' | 'doubtful') => ({ out: { hash: `h-${verdict}`, mime: 'image/png', bytes: 10, meta: { trust: { verdict, score: verdict === 'trusted' ? 0.9 : 0.1 } } } });

test('a review set to park on doubtful inputs lets a trusted result pass on without parking, noting why', () => {
  let s = step(onlyDoubtful, initialSnapshot(onlyDoubtful), { kind: 'start' }).snapshot;
  const r = step(onlyDoubtful, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: cutout('trusted') });
  s = r.snapshot;
  assert.equal(s.nodes.R.state, 'done');
  assert.equal(s.status, 'running');
  assert.deepEqual(s.nodes.R.outputs, { value: cutout('trusted').out, decision: { decision: 'approve', note: PASSED_WITHOUT_REVIEW } });
  assert.deepEqual(enqueued(r.decisions).map((d) => [d.nodeId, d.inputs]), [['B', { in: cutout('trusted').out }]]);
});

test('a review set to park on doubtful inputs parks a doubtful result for a person', () => {
  let s = step(onlyDoubtful, initialSnapshot(onlyDoubtful), { kind: 'start' }).snapshot;
  const r = step(onlyDoubtful, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: cutout('doubtful') });
  s = r.snapshot;
  assert.equal(s.nodes.R.state, 'awaiting_review');
  assert.equal(s.status, 'awaiting_review');
  assert.deepEqual(enqueued(r.decisions), []);
  const rejected = step(onlyDoubtful, s, { kind: 'review_decided', nodeId: 'R', generation: 1, decision: 'reject', note: 'cut-out broken' });
  assert.equal(rejected.snapshot.status, 'failed');
  assert.equal(rejected.decisions.filter((d) => d.kind === 'refund').length, 1, 'a rejected doubtful cut-out is refunded');
});

test('a review without park settings still parks every run, trusted or not', () => {
  const s = step(reviewed, step(reviewed, initialSnapshot(reviewed), { kind: 'start' }).snapshot, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: cutout('trusted') }).snapshot;
  assert.equal(s.nodes.R.state, 'awaiting_review');
});

test('a doubtful result further upstream parks the review too (the review sits after the composite)', () => {
  const plan = compilePlan(
    {
      nodes: [
        { id: 'A', type: 'source' },
        { id: 'P', type: 'pass' },
        { id: 'R', type: 'review', params: { park: 'doubtful' } },
      ],
      edges: [
        { source: 'A', sourceHandle: 'out', target: 'P', targetHandle: 'in' },
        { source: 'P', sourceHandle: 'out', target: 'R', targetHandle: 'value' },
      ],
    },
    catalog,
  );
  let s = step(plan, initialSnapshot(plan), { kind: 'start' }).snapshot;
  s = step(plan, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: cutout('doubtful') }).snapshot;
  s = step(plan, s, { kind: 'node_succeeded', nodeId: 'P', generation: 1, outputs: value(1) }).snapshot;
  assert.equal(s.nodes.R.state, 'awaiting_review');
});
