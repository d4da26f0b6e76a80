import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, GraphInvalidError, upstreamClosure } from '../src/scheduler';
import { planRun } from '../src/runs';
import { diamond, testCatalog } from './support/test-nodes';

const catalog = testCatalog().descriptors;

test('run to B plans only B and its ancestor A, with B as the only sink', () => {
  const plan = compilePlan(diamond, catalog, { untilNodeId: 'B' });
  assert.deepEqual(plan.order, ['A', 'B']);
  assert.deepEqual(Object.keys(plan.nodes).sort(), ['A', 'B']);
  assert.deepEqual(plan.sinks, ['B']);
  assert.deepEqual(plan.nodes.A.downstream, ['B'], 'C, not needed, is not wired in');
  assert.deepEqual(plan.nodes.B.downstream, []);
});

test('run to the fan-in node D keeps the whole diamond; run to the source keeps the source alone', () => {
  assert.deepEqual(compilePlan(diamond, catalog, { untilNodeId: 'D' }).order, compilePlan(diamond, catalog).order);
  const source = compilePlan(diamond, catalog, { untilNodeId: 'A' });
  assert.deepEqual(source.order, ['A']);
  assert.deepEqual(source.sinks, ['A']);
});

test('run to here with materialize consumed: the cut node is a sink and produces all its outputs', () => {
  const plan = compilePlan(diamond, catalog, { untilNodeId: 'B', materialize: 'consumed' });
  assert.equal(plan.nodes.B.wants, undefined, 'nothing downstream in the cut plan consumes B, so every output is kept');
  assert.deepEqual(plan.nodes.A.wants, ['out']);
});

test('run to here still validates the whole graph, as a commit would', () => {
  const broken = { ...diamond, nodes: diamond.nodes.map((n) => (n.id === 'C' ? { ...n, type: 'no-such-type' } : n)) };
  assert.throws(() => compilePlan(broken, catalog, { untilNodeId: 'B' }), (err: unknown) => {
    assert.ok(err instanceof GraphInvalidError);
    assert.ok(err.problems.some((p) => p.nodeId === 'C'), 'the problem names C although B does not need it');
    return true;
  });
});

test('run to a node the graph does not have is refused with a problem naming it', () => {
  assert.throws(() => compilePlan(diamond, catalog, { untilNodeId: 'Z' }), /run to here" names node "Z"/);
});

test('planRun passes untilNodeId through to the plan', async () => {
  const { plan } = await planRun(diamond, catalog, { untilNodeId: 'C' });
  assert.deepEqual(plan.order, ['A', 'C']);
});

test('upstreamClosure follows edges backwards only', () => {
  assert.deepEqual([...upstreamClosure(diamond, 'C')].sort(), ['A', 'C']);
  assert.deepEqual([...upstreamClosure(diamond, 'D')].sort(), ['A', 'B', 'C', 'D']);
});
