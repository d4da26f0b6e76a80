import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canConnect, validateGraph, type GraphDoc, type ProblemCode } from '../src/graph';
import { testCatalog, diamond } from './support/test-nodes';

const catalog = testCatalog().descriptors;
const codes = (doc: unknown): ProblemCode[] => validateGraph(doc, catalog).problems.map((p) => p.code);
const clone = (): GraphDoc => structuredClone(diamond) as GraphDoc;

test('a valid diamond has no problems', () => {
  assert.deepEqual(validateGraph(diamond, catalog), { ok: true, problems: [] });
});

test('rejects a document of the wrong shape', () => {
  assert.deepEqual(codes({ nodes: 'x' }), ['invalid_document', 'invalid_document']);
  assert.deepEqual(codes(null), ['invalid_document']);
});

test('reports an empty graph', () => {
  assert.deepEqual(codes({ nodes: [], edges: [] }), ['empty_graph']);
});

test('reports duplicate and malformed node ids', () => {
  const g = clone();
  g.nodes.push({ id: 'B', type: 'pass' });
  g.nodes.push({ id: 'bad:id', type: 'source' });
  const problems = validateGraph(g, catalog).problems;
  assert.ok(problems.some((p) => p.code === 'duplicate_node_id' && p.nodeId === 'B'));
  assert.ok(problems.some((p) => p.code === 'invalid_node_id' && p.nodeId === 'bad:id'));
});

test('reports unknown node types', () => {
  const g = clone();
  g.nodes[0].type = 'teleport';
  const p = validateGraph(g, catalog).problems.find((x) => x.code === 'unknown_node_type');
  assert.equal(p?.nodeId, 'A');
  assert.match(p!.message, /teleport/);
});

test('reports params that break their schema, with the param name', () => {
  const g = clone();
  g.nodes[0].params = { value: 'high' };
  g.nodes[1].params = { nope: true };
  const problems = validateGraph(g, catalog).problems.filter((p) => p.code === 'invalid_params');
  assert.equal(problems.length, 2);
  assert.match(problems[0].message, /value must be number/);
  assert.match(problems[1].message, /unknown param "nope"/);
});

test('reports dangling edges and unknown ports', () => {
  const g = clone();
  g.edges.push({ source: 'A', sourceHandle: 'out', target: 'Z', targetHandle: 'in' });
  g.edges.push({ source: 'A', sourceHandle: 'nothing', target: 'D', targetHandle: 'zzz' });
  const problems = validateGraph(g, catalog).problems;
  assert.ok(problems.some((p) => p.code === 'dangling_edge' && /missing node Z/.test(p.message)));
  assert.ok(problems.some((p) => p.code === 'unknown_port' && p.nodeId === 'A' && p.port === 'nothing'));
  assert.ok(problems.some((p) => p.code === 'unknown_port' && p.nodeId === 'D' && p.port === 'zzz'));
});

test('reports ill-typed edges using the shared connection rule', () => {
  assert.equal(canConnect('cutout', 'image'), true);
  assert.equal(canConnect('mask', 'image'), false);
  assert.equal(canConnect('image', 'candidates'), true);
  assert.equal(canConnect('prompt', 'score'), false);
  const descriptors = [
    ...catalog,
    { type: 'mask-src', version: 1, title: '', category: 't', description: '', resource: 'cpu' as const, inputs: [], outputs: [{ name: 'm', type: 'mask' as const }], params: { type: 'object' as const, properties: {} }, cacheable: true },
  ];
  const g = clone();
  g.nodes.push({ id: 'M', type: 'mask-src' });
  g.edges[0] = { source: 'M', sourceHandle: 'm', target: 'B', targetHandle: 'in' };
  const problems = validateGraph(g, descriptors).problems;
  const p = problems.find((x) => x.code === 'ill_typed_edge');
  assert.equal(p?.nodeId, 'B');
  assert.equal(p?.port, 'in');
  assert.match(p!.message, /mask.*report/);
});

test('reports two edges into a single input', () => {
  const g = clone();
  g.edges.push({ source: 'C', sourceHandle: 'out', target: 'D', targetHandle: 'a' });
  const p = validateGraph(g, catalog).problems.find((x) => x.code === 'duplicate_input');
  assert.equal(p?.nodeId, 'D');
  assert.equal(p?.port, 'a');
});

test('reports unconnected required inputs', () => {
  const g = clone();
  g.edges = g.edges.filter((e) => e.targetHandle !== 'b');
  const p = validateGraph(g, catalog).problems.find((x) => x.code === 'missing_input');
  assert.deepEqual([p?.nodeId, p?.port], ['D', 'b']);
});

test('reports cycles with the nodes on the cycle', () => {
  const g = clone();
  g.nodes.push({ id: 'E', type: 'pass' });
  g.edges[0] = { source: 'E', sourceHandle: 'out', target: 'B', targetHandle: 'in' };
  g.edges.push({ source: 'B', sourceHandle: 'out', target: 'E', targetHandle: 'in' });
  g.edges = g.edges.filter((e) => !(e.target === 'D' && e.targetHandle === 'a'));
  g.edges.push({ source: 'B', sourceHandle: 'out', target: 'D', targetHandle: 'a' });
  const p = validateGraph(g, catalog).problems.find((x) => x.code === 'cycle');
  assert.ok(p, 'cycle reported');
  assert.match(p!.message, /B → E → B|E → B → E/);
});

test('reports every problem at once, not just the first', () => {
  const g = clone();
  g.nodes[0].params = { value: 'x' };
  g.nodes.push({ id: 'X', type: 'nope' });
  g.edges.push({ source: 'Q', sourceHandle: 'out', target: 'B', targetHandle: 'in' });
  const c = new Set(codes(g));
  for (const code of ['invalid_params', 'unknown_node_type', 'dangling_edge'] as const) assert.ok(c.has(code), code);
});
