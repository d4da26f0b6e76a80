import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { LocalArtifactStore } from '../src/artifacts';
import { defineNode, NodeCatalog, type PortValues } from '../src/contract';
import type { GraphDoc } from '../src/graph';
import { runGraphLocally } from '../src/local';
import { compilePlan } from '../src/scheduler';
import { cacheKey, jobFor } from '../src/store';

/** split has two outputs; only `a` is wired on. It records what its context says is wanted. */
function catalog(seen: Array<{ a: boolean; b: boolean }>): NodeCatalog {
  return new NodeCatalog([
    defineNode({
      type: 'split',
      version: 1,
      title: 'Split',
      category: 'test',
      description: 'Two outputs',
      resource: 'cpu',
      inputs: [],
      outputs: [{ name: 'a', type: 'report' }, { name: 'b', type: 'report' }],
      params: Type.Object({}),
      cacheable: true,
      async run(ctx) {
        seen.push({ a: ctx.wants('a'), b: ctx.wants('b') });
        const out: PortValues = { a: { v: 1 } };
        if (ctx.wants('b')) out.b = { v: 2 };
        return out;
      },
    }),
    defineNode({
      type: 'sink',
      version: 1,
      title: 'Sink',
      category: 'test',
      description: 'The result',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report' }],
      outputs: [{ name: 'out', type: 'report' }, { name: 'extra', type: 'report' }],
      params: Type.Object({}),
      cacheable: false,
      async run(ctx, inputs) {
        seen.push({ a: ctx.wants('out'), b: ctx.wants('extra') });
        return { out: inputs.in ?? null, extra: { v: 3 } };
      },
    }),
  ]);
}

const doc: GraphDoc = {
  nodes: [{ id: 's', type: 'split' }, { id: 'k', type: 'sink' }],
  edges: [{ id: 'e', source: 's', sourceHandle: 'a', target: 'k', targetHandle: 'in' }],
};

test('a template run materialises only consumed outputs of inner nodes; sinks and editor runs get all', () => {
  const c = catalog([]);
  const consumed = compilePlan(doc, c.descriptors, { materialize: 'consumed' });
  assert.deepEqual(consumed.nodes.s.wants, ['a']);
  assert.equal(consumed.nodes.k.wants, undefined, "a sink's outputs are the run's results");
  const all = compilePlan(doc, c.descriptors);
  assert.equal(all.nodes.s.wants, undefined);

  const def = { runId: 'r', tenantId: 't', plan: consumed, info: { runId: 'r', tenantId: 't' }, seedInputs: {}, priceCredits: 0 };
  assert.deepEqual(jobFor(def, 's', 1, {}, {}).data.wants, ['a']);
  assert.equal('wants' in jobFor({ ...def, plan: all }, 's', 1, {}, {}).data, false);
});

test('the execution cache keeps partial and full outputs apart', () => {
  const node = { type: 'split', version: 1 };
  const legacy = cacheKey(node, {}, {});
  assert.equal(cacheKey({ ...node, cacheSalt: '', wants: undefined }, {}, {}), legacy, 'runs that want everything keep their existing keys');
  assert.notEqual(cacheKey({ ...node, wants: ['a'] }, {}, {}), legacy);
  assert.notEqual(cacheKey({ ...node, wants: ['a'] }, {}, {}), cacheKey({ ...node, wants: ['a', 'b'] }, {}, {}));
});

test('nodes see what the run wants: the local runner skips unconsumed outputs unless told to keep all', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-materialize-'));
  try {
    for (const [materialize, expected] of [
      ['consumed', [{ a: true, b: false }, { a: true, b: true }]],
      ['all', [{ a: true, b: true }, { a: true, b: true }]],
    ] as const) {
      const seen: Array<{ a: boolean; b: boolean }> = [];
      const result = await runGraphLocally(doc, { catalog: catalog(seen), artifacts: new LocalArtifactStore(dir), materialize });
      assert.equal(result.error, undefined);
      assert.deepEqual(seen, expected, materialize);
      assert.deepEqual(result.outputs.k, { out: { v: 1 }, extra: { v: 3 } });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
