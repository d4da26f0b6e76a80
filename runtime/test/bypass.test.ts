import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bypassDisabled, validateGraph, type GraphDoc } from '../src/graph';
import { compilePlan, GraphInvalidError } from '../src/scheduler';
import { testCatalog, diamond } from './support/test-nodes';

const catalog = testCatalog().descriptors;
const withDisabled = (...ids: string[]): GraphDoc => {
  const g = structuredClone(diamond) as GraphDoc;
  for (const n of g.nodes) if (ids.includes(n.id)) n.disabled = true;
  return g;
};

test('a disabled node is left out of the plan and its same-typed input feeds its consumers', () => {
  const plan = compilePlan(withDisabled('B'), catalog);
  assert.deepEqual(Object.keys(plan.nodes).sort(), ['A', 'C', 'D']);
  assert.deepEqual(plan.nodes.D.inputs.find((i) => i.port === 'a')?.sources, [{ node: 'A', port: 'out' }]);
  assert.deepEqual(plan.nodes.A.downstream.sort(), ['C', 'D']);
  assert.deepEqual(plan.order, ['A', 'C', 'D']);
});

test('a chain of disabled nodes passes the first source through all of them', () => {
  const g: GraphDoc = {
    nodes: [
      { id: 'A', type: 'source', params: { value: 1 } },
      { id: 'B', type: 'pass', disabled: true },
      { id: 'C', type: 'pass', disabled: true },
      { id: 'D', type: 'pass' },
    ],
    edges: [
      { source: 'A', sourceHandle: 'out', target: 'B', targetHandle: 'in' },
      { source: 'B', sourceHandle: 'out', target: 'C', targetHandle: 'in' },
      { source: 'C', sourceHandle: 'out', target: 'D', targetHandle: 'in' },
    ],
  };
  const { doc, problems } = bypassDisabled(g, catalog);
  assert.deepEqual(problems, []);
  assert.deepEqual(doc.edges, [{ source: 'A', sourceHandle: 'out', target: 'D', targetHandle: 'in' }]);
  assert.deepEqual(Object.keys(compilePlan(g, catalog).nodes).sort(), ['A', 'D']);
});

test('a disabled node with nothing of the same type to pass on is a problem that names it', () => {
  // The source has no inputs: its consumers B and C would be left without their input.
  const result = validateGraph(withDisabled('A'), catalog);
  assert.equal(result.ok, false);
  const blocked = result.problems.filter((p) => p.code === 'bypass_blocked');
  assert.equal(blocked.length, 2);
  assert.equal(blocked[0].nodeId, 'A');
  assert.match(blocked[0].message, /A is disabled, but its output "out" \(report\) has no connected input of the same type/);
  assert.throws(() => compilePlan(withDisabled('A'), catalog), GraphInvalidError);
});

test('a graph without disabled nodes is returned as it is', () => {
  const g = structuredClone(diamond) as GraphDoc;
  assert.equal(bypassDisabled(g, catalog).doc, g);
});
