import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, decide, initialSnapshot, GraphInvalidError, type Decision, type RunSnapshot } from '../src/scheduler';
import { diamond, testCatalog } from './support/test-nodes';

const catalog = testCatalog().descriptors;
const plan = compilePlan(diamond, catalog);
const enqueued = (ds: Decision[]) => ds.filter((d) => d.kind === 'enqueue').map((d) => (d as { nodeId: string }).nodeId);
const out = (v: number) => ({ out: { value: v, path: [] } });

function started(): RunSnapshot {
  return decide(plan, initialSnapshot(plan), { kind: 'start' }).snapshot;
}

test('compilePlan refuses an invalid graph with every problem', () => {
  assert.throws(() => compilePlan({ nodes: [{ id: 'A', type: 'x' }], edges: [] }, catalog), GraphInvalidError);
});

test('compilePlan applies param defaults and orders topologically', () => {
  assert.deepEqual(plan.nodes.B.params, { fail: false });
  assert.equal(plan.order[0], 'A');
  assert.equal(plan.order[3], 'D');
  assert.deepEqual(plan.sinks, ['D']);
});

test('start dispatches only the roots, once', () => {
  const first = decide(plan, initialSnapshot(plan), { kind: 'start' });
  assert.deepEqual(enqueued(first.decisions), ['A']);
  assert.equal(first.snapshot.status, 'running');
  const again = decide(plan, first.snapshot, { kind: 'start' });
  assert.deepEqual(again.decisions, []);
});

test('fan-out then fan-in: D is dispatched once, after both B and C, with both inputs', () => {
  let s = started();
  let r = decide(plan, s, { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: out(1) });
  assert.deepEqual(enqueued(r.decisions).sort(), ['B', 'C']);
  s = r.snapshot;
  r = decide(plan, s, { kind: 'node_succeeded', nodeId: 'B', generation: 1, outputs: out(2) });
  assert.deepEqual(enqueued(r.decisions), []);
  s = r.snapshot;
  r = decide(plan, s, { kind: 'node_succeeded', nodeId: 'C', generation: 1, outputs: out(3) });
  const d = r.decisions.find((x) => x.kind === 'enqueue');
  assert.deepEqual(d, { kind: 'enqueue', nodeId: 'D', generation: 1, inputs: { a: out(2).out, b: out(3).out }, params: {} });
  s = r.snapshot;
  const dup = decide(plan, s, { kind: 'node_succeeded', nodeId: 'C', generation: 1, outputs: out(3) });
  assert.deepEqual(dup.decisions, [], 'a duplicate completion changes nothing');
  r = decide(plan, s, { kind: 'node_succeeded', nodeId: 'D', generation: 1, outputs: out(5) });
  assert.equal(r.snapshot.status, 'completed');
  assert.deepEqual(r.decisions.at(-1), { kind: 'run_status', status: 'completed', outputs: { D: out(5) } });
});

test('every completion order of B and C dispatches D exactly once', () => {
  for (const order of [['B', 'C'], ['C', 'B']]) {
    let s = decide(plan, started(), { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: out(1) }).snapshot;
    let count = 0;
    for (const id of [...order, ...order]) {
      const r = decide(plan, s, { kind: 'node_succeeded', nodeId: id, generation: 1, outputs: out(1) });
      count += enqueued(r.decisions).filter((x) => x === 'D').length;
      s = r.snapshot;
    }
    assert.equal(count, 1);
  }
});

test('a failure fails the run, skips what is pending, aborts what runs, refunds once', () => {
  let s = decide(plan, started(), { kind: 'node_succeeded', nodeId: 'A', generation: 1, outputs: out(1) }).snapshot;
  const r = decide(plan, s, { kind: 'node_failed', nodeId: 'B', generation: 1, error: 'boom' });
  s = r.snapshot;
  assert.equal(s.status, 'failed');
  assert.equal(s.nodes.D.state, 'skipped');
  assert.equal(s.nodes.C.state, 'cancelled');
  assert.deepEqual(r.decisions.filter((d) => d.kind === 'abort'), [{ kind: 'abort', nodeId: 'C', generation: 1 }]);
  assert.equal(r.decisions.filter((d) => d.kind === 'refund').length, 1);
  const late = decide(plan, s, { kind: 'node_failed', nodeId: 'C', generation: 1, error: 'late' });
  assert.deepEqual(late.decisions, [], 'no second refund');
  const lateOk = decide(plan, s, { kind: 'node_succeeded', nodeId: 'C', generation: 1, outputs: out(1) });
  assert.deepEqual(lateOk.decisions, [], 'late success after failure dispatches nothing');
});

test('cancel stops a run once and refunds once', () => {
  const r = decide(plan, started(), { kind: 'cancel', reason: 'user' });
  assert.equal(r.snapshot.status, 'cancelled');
  assert.equal(r.decisions.filter((d) => d.kind === 'refund').length, 1);
  assert.deepEqual(decide(plan, r.snapshot, { kind: 'cancel', reason: 'again' }).decisions, []);
});

test('an event for a stale generation is ignored', () => {
  const s = started();
  assert.deepEqual(decide(plan, s, { kind: 'node_succeeded', nodeId: 'A', generation: 7, outputs: out(1) }).decisions, []);
});
