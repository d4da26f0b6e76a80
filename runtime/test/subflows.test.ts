import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkGraph,
  cutSubflow,
  expandSubflows,
  replaceWithInstance,
  subflowDescriptor,
  subflowKey,
  subflowNodeType,
  validateGraph,
  type GraphDoc,
  type SubflowDefinition,
} from '../src/graph';
import { compilePlan, GraphInvalidError } from '../src/scheduler';
import { LocalArtifactStore } from '../src/artifacts';
import { runGraphLocally } from '../src/local';
import { diamond, gated, testCatalog } from './support/test-nodes';

const catalog = testCatalog().descriptors;

/** "Twice": two pass nodes in a row; `fail` of the first is exposed as `stop`. */
const twice: SubflowDefinition = {
  id: 'twice',
  version: 1,
  name: 'Twice',
  graph: {
    nodes: [
      { id: 'p1', type: 'pass' },
      { id: 'p2', type: 'pass' },
    ],
    edges: [{ source: 'p1', sourceHandle: 'out', target: 'p2', targetHandle: 'in' }],
  },
  inputs: [{ name: 'in', type: 'report', targets: [{ node: 'p1', port: 'in' }] }],
  outputs: [{ name: 'out', type: 'report', source: { node: 'p2', port: 'out' } }],
  params: [{ name: 'stop', node: 'p1', param: 'fail', title: 'Stop early', default: false, schema: { type: 'boolean' } }],
};

/** A graph that carries its subflow definitions, as a committed version does. */
function withSubflows(doc: GraphDoc, ...defs: SubflowDefinition[]): GraphDoc {
  return { ...doc, subflows: Object.fromEntries(defs.map((d) => [subflowKey(d.id, d.version), d])) };
}

const twoInstances: GraphDoc = withSubflows(
  {
    nodes: [
      { id: 'src', type: 'source', params: { value: 5 } },
      { id: 'first', type: subflowNodeType('twice'), subflowVersion: 1 },
      { id: 'second', type: subflowNodeType('twice'), params: { stop: false } },
    ],
    edges: [
      { source: 'src', sourceHandle: 'out', target: 'first', targetHandle: 'in' },
      { source: 'first', sourceHandle: 'out', target: 'second', targetHandle: 'in' },
    ],
  },
  twice,
);

test('expansion namespaces inner node ids under the instance and reconnects the cut edges', () => {
  const { doc, problems, used } = expandSubflows(twoInstances);
  assert.deepEqual(problems, []);
  assert.deepEqual(doc.nodes.map((n) => n.id), ['src', 'first/p1', 'first/p2', 'second/p1', 'second/p2']);
  const wires = doc.edges.map((e) => `${e.source}.${e.sourceHandle}>${e.target}.${e.targetHandle}`).sort();
  assert.deepEqual(wires, [
    'first/p1.out>first/p2.in',
    'first/p2.out>second/p1.in',
    'second/p1.out>second/p2.in',
    'src.out>first/p1.in',
  ]);
  assert.deepEqual(Object.keys(used), ['twice@1']);
});

test('an instance sets the inner params it exposes, and the exposed default applies when it does not', () => {
  const doc = structuredClone(twoInstances);
  doc.nodes[1].params = { stop: true };
  const flat = expandSubflows(doc).doc;
  assert.equal(flat.nodes.find((n) => n.id === 'first/p1')?.params?.fail, true);
  assert.equal(flat.nodes.find((n) => n.id === 'second/p1')?.params?.fail, false);
  assert.equal(flat.nodes.find((n) => n.id === 'second/p2')?.params?.fail, undefined, 'unexposed params stay as the subflow set them');
});

test('the compiled plan holds only real nodes and runs end to end in-process', async () => {
  const plan = compilePlan(twoInstances, catalog);
  assert.deepEqual(plan.order, ['src', 'first/p1', 'first/p2', 'second/p1', 'second/p2']);
  assert.deepEqual(plan.nodes['second/p1'].upstream, ['first/p2']);
  assert.deepEqual(plan.subflows, { first: { id: 'twice', version: 1, name: 'Twice' }, second: { id: 'twice', version: 1, name: 'Twice' } });
  assert.equal(plan.nodes['first/p1'].params.fail, false, 'defaults applied by the validator');
  const result = await runGraphLocally(twoInstances, {
    catalog: testCatalog(),
    artifacts: new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-subflow-'))),
  });
  assert.equal(result.error, undefined);
  assert.deepEqual(result.outputs['second/p2'].out, { value: 9, path: ['src', 'first/p1', 'first/p2', 'second/p1', 'second/p2'] });
});

test('nested subflows expand recursively, ports passing through each level', () => {
  const outer: SubflowDefinition = {
    id: 'quad',
    version: 3,
    name: 'Quad',
    graph: {
      nodes: [
        { id: 'a', type: subflowNodeType('twice'), params: { stop: false } },
        { id: 'b', type: subflowNodeType('twice') },
      ],
      edges: [{ source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' }],
    },
    inputs: [{ name: 'x', type: 'report', targets: [{ node: 'a', port: 'in' }] }],
    outputs: [{ name: 'y', type: 'report', source: { node: 'b', port: 'out' } }],
    params: [],
  };
  const doc = withSubflows(
    {
      nodes: [
        { id: 'src', type: 'source' },
        { id: 'q', type: subflowNodeType('quad') },
        { id: 'end', type: 'pass' },
      ],
      edges: [
        { source: 'src', sourceHandle: 'out', target: 'q', targetHandle: 'x' },
        { source: 'q', sourceHandle: 'y', target: 'end', targetHandle: 'in' },
      ],
    },
    twice,
    outer,
  );
  const plan = compilePlan(doc, catalog);
  assert.deepEqual(plan.order, ['src', 'q/a/p1', 'q/a/p2', 'q/b/p1', 'q/b/p2', 'end']);
  assert.deepEqual(plan.nodes['q/a/p1'].upstream, ['src']);
  assert.deepEqual(plan.nodes.end.upstream, ['q/b/p2']);
});

test('a subflow that contains itself, directly or through another, is refused in plain words', () => {
  const loop: SubflowDefinition = {
    ...twice,
    id: 'loop',
    name: 'Loop',
    graph: { nodes: [{ id: 'inner', type: subflowNodeType('loop') }], edges: [] },
    inputs: [{ name: 'in', type: 'report', targets: [{ node: 'inner', port: 'in' }] }],
    outputs: [{ name: 'out', type: 'report', source: { node: 'inner', port: 'out' } }],
    params: [],
  };
  const doc = withSubflows(
    {
      nodes: [
        { id: 'src', type: 'source' },
        { id: 'l', type: subflowNodeType('loop') },
      ],
      edges: [{ source: 'src', sourceHandle: 'out', target: 'l', targetHandle: 'in' }],
    },
    loop,
  );
  const checked = checkGraph(doc, catalog);
  assert.equal(checked.ok, false);
  assert.equal(checked.problems[0].code, 'subflow_cycle');
  assert.match(checked.problems[0].message, /subflow "Loop" contains itself/);
  assert.equal(checked.problems[0].nodeId, 'l');
  assert.throws(() => compilePlan(doc, catalog), GraphInvalidError);
});

test('an instance whose ports do not fit its edges is rejected like any node', () => {
  const doc = structuredClone(twoInstances);
  doc.nodes.push({ id: 'sc', type: 'scorer' });
  doc.edges.push({ source: 'sc', sourceHandle: 'score', target: 'second', targetHandle: 'in' });
  doc.edges.push({ source: 'first', sourceHandle: 'nope', target: 'sc', targetHandle: 'in' });
  const problems = checkGraph(doc, catalog).problems;
  assert.ok(problems.some((p) => p.code === 'ill_typed_edge' && p.nodeId === 'second' && /score.*report/.test(p.message)), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.code === 'unknown_port' && p.nodeId === 'first' && /no output "nope"/.test(p.message)));
});

test('an exposed param is checked against the inner schema on the instance', () => {
  const doc = structuredClone(twoInstances);
  doc.nodes[1].params = { stop: 'yes' };
  doc.nodes[2].params = { nonsense: 1 };
  const problems = checkGraph(doc, catalog).problems;
  assert.ok(problems.some((p) => p.nodeId === 'first' && p.code === 'invalid_params' && /stop/.test(p.message)));
  assert.ok(problems.some((p) => p.nodeId === 'second' && /unknown param "nonsense"/.test(p.message)));
});

test('a problem inside an instance names the instance, its subflow version and the inner node', () => {
  const broken: SubflowDefinition = { ...twice, version: 2, inputs: [{ name: 'in', type: 'report', targets: [{ node: 'p2', port: 'in' }] }] };
  const doc = withSubflows(
    {
      nodes: [
        { id: 'src', type: 'source' },
        { id: 'clean', type: subflowNodeType('twice'), subflowVersion: 2 },
      ],
      edges: [{ source: 'src', sourceHandle: 'out', target: 'clean', targetHandle: 'in' }],
    },
    broken,
  );
  const problems = checkGraph(doc, catalog).problems;
  const missing = problems.find((p) => p.code === 'missing_input');
  assert.equal(missing?.nodeId, 'clean');
  assert.match(missing!.message, /^in subflow instance 'clean' \(Twice v2\): node 'p1': required input "in" \(report\) of p1 is not connected$/);
  assert.ok(problems.some((p) => p.code === 'duplicate_input' && /in subflow instance 'clean'/.test(p.message)));
});

test('an unknown subflow or version is reported on the instance', () => {
  const doc = structuredClone(twoInstances);
  doc.nodes[1].subflowVersion = 7;
  const problems = checkGraph(doc, catalog).problems;
  assert.ok(problems.some((p) => p.code === 'unknown_node_type' && p.nodeId === 'first'), JSON.stringify(problems));
});

test('latest resolves to the highest version the document carries; a pinned instance keeps its version', () => {
  const v2: SubflowDefinition = { ...twice, version: 2, graph: { nodes: [{ id: 'p1', type: 'pass' }, { id: 'p2', type: 'pass' }, { id: 'p3', type: 'pass' }], edges: [{ source: 'p1', sourceHandle: 'out', target: 'p2', targetHandle: 'in' }, { source: 'p2', sourceHandle: 'out', target: 'p3', targetHandle: 'in' }] }, outputs: [{ name: 'out', type: 'report', source: { node: 'p3', port: 'out' } }] };
  const doc = withSubflows({ ...twoInstances, subflows: undefined }, twice, v2);
  const plan = compilePlan(doc, catalog);
  assert.ok(!plan.nodes['first/p3'], 'first is pinned to v1');
  assert.ok(plan.nodes['second/p3'], 'second follows latest (v2)');
});

test('cutting a selection computes ports from the cut edges and rewires one instance in its place', () => {
  const doc: GraphDoc = diamond;
  const cut = cutSubflow(doc, new Set(['B', 'C']), catalog);
  assert.deepEqual(cut.inputs, [{ name: 'in', type: 'report', targets: [{ node: 'B', port: 'in' }, { node: 'C', port: 'in' }] }]);
  assert.deepEqual(cut.outputs.map((p) => [p.name, p.source.node]), [['out', 'B'], ['out2', 'C']]);
  const def: SubflowDefinition = { id: 'bc', version: 1, name: 'BC', graph: cut.graph, inputs: cut.inputs, outputs: cut.outputs, params: [] };
  const outer = replaceWithInstance(doc, cut, { id: 'bc1', type: subflowNodeType('bc') });
  assert.deepEqual(outer.nodes.map((n) => n.id), ['A', 'D', 'bc1']);
  assert.deepEqual(validateGraph(outer, [...catalog, subflowDescriptor(def)]).problems, []);
  const plan = compilePlan(withSubflows(outer, def), catalog);
  assert.deepEqual(plan.nodes.D.upstream.sort(), ['bc1/B', 'bc1/C']);
});

test('a graph whose nested subflows expand to more nodes than a graph may hold is refused, not built', () => {
  const wide = (id: string, inner: string | null, count: number): SubflowDefinition => ({
    id,
    version: 1,
    name: id,
    graph: { nodes: Array.from({ length: count }, (_, i) => ({ id: `n${i}`, type: inner ? subflowNodeType(inner) : 'source' })), edges: [] },
    inputs: [],
    outputs: [],
    params: [],
  });
  const doc = withSubflows({ nodes: [{ id: 'top', type: subflowNodeType('a') }], edges: [] }, wide('a', 'b', 50), wide('b', 'c', 50), wide('c', 'd', 50), wide('d', 'e', 50), wide('e', 'f', 50), wide('f', null, 50));
  const expanded = expandSubflows(doc);
  assert.equal(expanded.doc.nodes.length, 2000);
  assert.match(expanded.problems[0].message, /expands to more than 2000 nodes/);
  assert.equal(checkGraph(doc, catalog).ok, false);
});

test("a retry gate inside a subflow keeps pointing at its own subflow's nodes, and retries there", async () => {
  const inner = gated();
  const def: SubflowDefinition = {
    id: 'gated',
    version: 1,
    name: 'Gated',
    graph: { nodes: inner.nodes.filter((n) => n.id !== 'A' && n.id !== 'B'), edges: inner.edges.filter((e) => e.source !== 'A' && e.target !== 'B') },
    inputs: [{ name: 'in', type: 'report', targets: [{ node: 'P', port: 'in' }] }],
    outputs: [{ name: 'out', type: 'report', source: { node: 'G', port: 'image' } }],
    params: [],
  };
  const doc = withSubflows(
    {
      nodes: [
        { id: 'A', type: 'source' },
        { id: 'g1', type: subflowNodeType('gated') },
        { id: 'B', type: 'pass' },
      ],
      edges: [
        { source: 'A', sourceHandle: 'out', target: 'g1', targetHandle: 'in' },
        { source: 'g1', sourceHandle: 'out', target: 'B', targetHandle: 'in' },
      ],
    },
    def,
  );
  const plan = compilePlan(doc, catalog);
  assert.equal(plan.nodes['g1/G'].params.rerunFrom, 'g1/P');
  assert.deepEqual(plan.nodes['g1/G'].params.adjust, [{ param: 'g1/S.quality', op: 'add', value: 0.6 }]);
  assert.ok(plan.nodes['g1/G'].adjustRanges?.['g1/S.quality'], 'the scheduler can clamp the adjusted param');
  const log = { calls: [] as Array<{ runId: string; nodeId: string; at: number }> };
  const result = await runGraphLocally(doc, { catalog: testCatalog(log), artifacts: new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-subflow-gate-'))) });
  assert.equal(result.error, undefined);
  assert.equal(log.calls.filter((c) => c.nodeId === 'g1/S').length, 2, 'the scorer ran again with the adjusted quality');
});

test("run to here on an instance runs all of its inner nodes and what they need; on an inner node, only that far", () => {
  const toInstance = compilePlan(twoInstances, catalog, { untilNodeId: 'first' });
  assert.deepEqual(toInstance.order, ['src', 'first/p1', 'first/p2']);
  const toInner = compilePlan(twoInstances, catalog, { untilNodeId: 'second/p1' });
  assert.deepEqual(toInner.order, ['src', 'first/p1', 'first/p2', 'second/p1']);
  assert.throws(() => compilePlan(twoInstances, catalog, { untilNodeId: 'fir' }), /which the graph does not have/);
});

test('two definitions of the same subflow version (a check before saving, then the saved one) each have their params checked by their own schema', () => {
  const before = checkGraph(withSubflows(structuredClone(twoInstances), { ...twice, params: [] }), catalog);
  assert.equal(before.ok, false, 'stop is unknown without the exposed param');
  const after = checkGraph(twoInstances, catalog);
  assert.deepEqual(after.problems, []);
});

test('a disabled instance is bypassed by its own ports; a disabled node inside a subflow is bypassed inside it', () => {
  const off = structuredClone(twoInstances);
  off.nodes[1].disabled = true;
  const plan = compilePlan(off, catalog);
  assert.deepEqual(plan.order, ['src', 'second/p1', 'second/p2']);
  assert.deepEqual(plan.nodes['second/p1'].upstream, ['src'], 'src passes through the disabled instance');
  const innerOff: SubflowDefinition = { ...twice, version: 2, graph: { ...twice.graph, nodes: [{ id: 'p1', type: 'pass', disabled: true }, { id: 'p2', type: 'pass' }] } };
  const doc = withSubflows({ ...twoInstances, nodes: twoInstances.nodes.map((n) => (n.id === 'first' ? { ...n, subflowVersion: 2 } : n)) }, twice, innerOff);
  const planned = compilePlan(doc, catalog);
  assert.ok(!planned.nodes['first/p1'], 'the disabled inner node is not run');
  assert.deepEqual(planned.nodes['first/p2'].upstream, ['src']);
});
