import { Type } from '@sinclair/typebox';
import { defineNode, NodeCatalog, type NodeDefinition } from '@studioflow/runtime/contract';
import { probe } from './probe';

/**
 * No-op node types for the scheduling benchmark: real node definitions (defineNode, `report`
 * ports), so "ours" goes through the same catalog, validation, plan and worker host as product
 * nodes. They do no work: what is measured is the runtime around them.
 */
export function noopCatalog(): NodeCatalog {
  const defs: NodeDefinition<any>[] = [
    defineNode({
      type: 'noop-source',
      version: 1,
      title: 'No-op source',
      category: 'bench',
      description: 'Starts a benchmark graph; emits a tiny report',
      resource: 'cpu',
      inputs: [],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({}),
      cacheable: false,
      async run(ctx) {
        probe.hit(ctx.run.runId, ctx.nodeId);
        return { out: { n: 1 } };
      },
    }),
    defineNode({
      type: 'noop',
      version: 1,
      title: 'No-op',
      category: 'bench',
      description: 'Takes one or more reports (fan-in) and emits a tiny report',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report', multiple: true }],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({}),
      cacheable: false,
      async run(ctx) {
        probe.hit(ctx.run.runId, ctx.nodeId);
        return { out: { n: 1 } };
      },
    }),
  ];
  return new NodeCatalog(defs);
}
