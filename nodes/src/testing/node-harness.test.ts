import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { defineNode, NodeCatalog } from '@studioflow/runtime/contract';
import { compilePlan } from '@studioflow/runtime/scheduler';
import { NodeHarness } from './node-harness';

const echo = defineNode({
  type: 'echo-params',
  version: 1,
  title: 'Echo params',
  category: 'test',
  description: 'Reports the params it was given',
  resource: 'cpu',
  inputs: [],
  outputs: [{ name: 'report', type: 'report' }],
  params: Type.Object({
    side: Type.Integer({ minimum: 1, default: 2048 }),
    look: Type.Object({ tone: Type.String({ default: 'warm' }) }, { default: {} }),
  }),
  cacheable: true,
  async run(_ctx, _inputs, params) {
    return { report: { ...params } };
  },
});

describe('NodeHarness', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create();
  });
  after(() => h.close());

  it('gives a node the params a compiled plan would: defaults filled in, nested ones too', async () => {
    const plan = compilePlan({ nodes: [{ id: 'e', type: 'echo-params', params: { side: 512 } }], edges: [] }, new NodeCatalog([echo]).descriptors);
    assert.deepEqual((await h.runNode(echo, {}, { side: 512 })).report, plan.nodes.e.params);
    assert.deepEqual((await h.runNode(echo, {})).report, { side: 2048, look: { tone: 'warm' } });
  });

  it('refuses params the schema refuses, as the plan would', async () => {
    await assert.rejects(h.runNode(echo, {}, { side: 0 }), /echo-params params: side must be >= 1/);
  });
});
