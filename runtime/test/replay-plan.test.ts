import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, replayPlan, type ReplayParent } from '../src/scheduler';
import { diamond, testCatalog } from './support/test-nodes';

const plan = compilePlan(diamond, testCatalog().descriptors);
const out = (v: number) => ({ out: { value: v, path: [] } });

function parent(states: Partial<Record<'A' | 'B' | 'C' | 'D', ReplayParent['nodes'][number]['state']>> = {}): ReplayParent {
  const nodes = (['A', 'B', 'C', 'D'] as const).map((nodeId, i) => ({ nodeId, state: states[nodeId] ?? 'done', outputs: out(i + 1) }));
  return { runId: 'parent', plan, nodes };
}

test('a replay from B re-runs B and D and reuses A and C with their outputs', () => {
  const replay = replayPlan(parent(), 'B');
  assert.deepEqual(replay.rerun, ['B', 'D']);
  assert.deepEqual(Object.keys(replay.reused).sort(), ['A', 'C']);
  assert.deepEqual(replay.reused.C, { outputs: out(3), sourceRunId: 'parent' });
});

test('new params are merged into the replayed node only, and the parent plan is left as it was', () => {
  const replay = replayPlan(parent(), 'B', { fail: true });
  assert.deepEqual(replay.plan.nodes.B.params, { fail: true });
  assert.deepEqual(replay.plan.nodes.C.params, { fail: false });
  assert.deepEqual(plan.nodes.B.params, { fail: false }, 'the parent plan is not mutated');
});

test('a replay from the first node re-runs everything and reuses nothing', () => {
  const replay = replayPlan(parent({ B: 'failed', D: 'skipped' }), 'A');
  assert.deepEqual(replay.rerun, ['A', 'B', 'C', 'D']);
  assert.deepEqual(replay.reused, {});
});

test('a replay is refused when a node it would reuse never finished', () => {
  assert.throws(() => replayPlan(parent({ C: 'failed' }), 'B'), /upstream node C did not finish \(failed\)/);
});

test('a replay is refused from a node the run does not have', () => {
  assert.throws(() => replayPlan(parent(), 'Z'), /run parent has no node "Z"/);
});

test('a node whose output was collected re-runs with everything after it; the rest is still reused', () => {
  const collectedHash = 'c'.repeat(64);
  const p = parent();
  p.nodes[2].outputs = { out: { value: 3, path: [], image: { hash: collectedHash, mime: 'image/png', bytes: 1 } } };
  const replay = replayPlan(p, 'D', undefined, new Set([collectedHash]));
  assert.deepEqual(replay.rerun, ['C', 'D']);
  assert.deepEqual(Object.keys(replay.reused).sort(), ['A', 'B']);
});
