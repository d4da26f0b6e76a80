import { Type } from '@sinclair/typebox';
import { defineNode, NodeCatalog, PermanentNodeError, type NodeDefinition } from '../../src/contract';

/** Tiny JSON-only node types for scheduler and transport tests (no pixels involved). */
export interface ExecutionLog {
  calls: Array<{ runId: string; nodeId: string; at: number }>;
}

export function testCatalog(log: ExecutionLog = { calls: [] }, delayMs = 0, cacheable = false): NodeCatalog {
  const record = (runId: string, nodeId: string) => log.calls.push({ runId, nodeId, at: Date.now() });
  const wait = async () => {
    if (delayMs) await new Promise((r) => setTimeout(r, Math.random() * delayMs));
  };
  const defs: NodeDefinition<any>[] = [
    defineNode({
      type: 'source',
      version: 1,
      title: 'Source',
      category: 'test',
      description: 'Emits a value',
      resource: 'cpu',
      inputs: [],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({ value: Type.Number({ default: 1 }) }),
      cacheable,
      async run(ctx, _inputs, params) {
        record(ctx.run.runId, ctx.nodeId);
        await wait();
        return { out: { value: params.value, path: [ctx.nodeId] } };
      },
    }),
    defineNode({
      type: 'pass',
      version: 1,
      title: 'Pass',
      category: 'test',
      description: 'Adds its id to the path',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report' }],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({ fail: Type.Boolean({ default: false }) }),
      cacheable,
      async run(ctx, inputs, params) {
        record(ctx.run.runId, ctx.nodeId);
        await wait();
        if (params.fail) throw new PermanentNodeError('asked to fail');
        const prev = inputs.in as { value: number; path: string[] };
        return { out: { value: prev.value + 1, path: [...prev.path, ctx.nodeId] } };
      },
    }),
    defineNode({
      type: 'join',
      version: 1,
      title: 'Join',
      category: 'test',
      description: 'Sums two inputs',
      resource: 'cpu',
      inputs: [
        { name: 'a', type: 'report' },
        { name: 'b', type: 'report' },
      ],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({}),
      cacheable,
      async run(ctx, inputs) {
        record(ctx.run.runId, ctx.nodeId);
        const a = inputs.a as { value: number; path: string[] };
        const b = inputs.b as { value: number; path: string[] };
        return { out: { value: a.value + b.value, path: [...a.path, ...b.path, ctx.nodeId] } };
      },
    }),
    defineNode({
      type: 'review',
      version: 1,
      title: 'Review',
      category: 'test',
      description: 'Parks the run for a person',
      resource: 'cpu',
      inputs: [{ name: 'value', type: 'report' }],
      outputs: [
        { name: 'value', type: 'report' },
        { name: 'decision', type: 'review-decision' },
      ],
      params: Type.Object({}),
      cacheable: false,
      parks: true,
      async run() {
        throw new Error('a parking node never runs on a worker');
      },
    }),
  ];
  return new NodeCatalog(defs);
}

export const diamond = {
  nodes: [
    { id: 'A', type: 'source', params: { value: 1 } },
    { id: 'B', type: 'pass' },
    { id: 'C', type: 'pass' },
    { id: 'D', type: 'join' },
  ],
  edges: [
    { source: 'A', sourceHandle: 'out', target: 'B', targetHandle: 'in' },
    { source: 'A', sourceHandle: 'out', target: 'C', targetHandle: 'in' },
    { source: 'B', sourceHandle: 'out', target: 'D', targetHandle: 'a' },
    { source: 'C', sourceHandle: 'out', target: 'D', targetHandle: 'b' },
  ],
};
