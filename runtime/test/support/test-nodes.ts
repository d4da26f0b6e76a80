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
      params: Type.Object({ park: Type.Union([Type.Literal('always'), Type.Literal('doubtful')], { default: 'always' }) }),
      cacheable: false,
      parks: true,
      async run() {
        throw new Error('a parking node never runs on a worker');
      },
    }),
    defineNode({
      type: 'scorer',
      version: 1,
      title: 'Scorer',
      category: 'test',
      description: 'Scores its input with the quality param and passes the input on',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report' }],
      outputs: [
        { name: 'score', type: 'score' },
        { name: 'out', type: 'report' },
      ],
      params: Type.Object({ quality: Type.Number({ default: 0.2, minimum: 0, maximum: 1 }), seed: Type.Integer({ default: 0 }), provider: Type.String({ default: 'a' }) }),
      cacheable,
      async run(ctx, inputs, params) {
        record(ctx.run.runId, ctx.nodeId);
        const prev = inputs.in as { value: number; path: string[] };
        return { score: { score: params.quality, parts: { quality: params.quality } }, out: { value: prev.value, path: [...prev.path, ctx.nodeId] } };
      },
    }),
    defineNode({
      type: 'gate',
      version: 1,
      title: 'Gate',
      category: 'test',
      description: 'A retry gate over JSON values (the product one passes images)',
      resource: 'cpu',
      inputs: [
        { name: 'score', type: 'score' },
        { name: 'image', type: 'report' },
      ],
      outputs: [
        { name: 'image', type: 'report' },
        { name: 'report', type: 'report' },
      ],
      params: Type.Object({
        threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.7 }),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 5, default: 3 }),
        rerunFrom: Type.String({ default: '' }),
        adjust: Type.Array(Type.Object({ param: Type.String(), op: Type.Union([Type.Literal('add'), Type.Literal('set'), Type.Literal('newSeed'), Type.Literal('cycle')]), value: Type.Optional(Type.Unknown()) }), { default: [] }),
        onExhausted: Type.Union([Type.Literal('review'), Type.Literal('fail')], { default: 'fail' }),
      }),
      cacheable: false,
      gate: true,
      async run() {
        throw new Error('a gate never runs on a worker');
      },
    }),
  ];
  return new NodeCatalog(defs);
}

/** A → P → S (scorer) → G (gate) → B: the gate re-runs from P and adjusts the scorer's quality. */
export function gated(gateParams: Record<string, unknown> = {}) {
  return {
    nodes: [
      { id: 'A', type: 'source', params: { value: 1 } },
      { id: 'P', type: 'pass' },
      { id: 'S', type: 'scorer', params: { quality: 0.2 } },
      { id: 'G', type: 'gate', params: { threshold: 0.7, maxAttempts: 3, rerunFrom: 'P', adjust: [{ param: 'S.quality', op: 'add', value: 0.6 }], onExhausted: 'fail', ...gateParams } },
      { id: 'B', type: 'pass' },
    ],
    edges: [
      { source: 'A', sourceHandle: 'out', target: 'P', targetHandle: 'in' },
      { source: 'P', sourceHandle: 'out', target: 'S', targetHandle: 'in' },
      { source: 'S', sourceHandle: 'score', target: 'G', targetHandle: 'score' },
      { source: 'S', sourceHandle: 'out', target: 'G', targetHandle: 'image' },
      { source: 'G', sourceHandle: 'image', target: 'B', targetHandle: 'in' },
    ],
  };
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
