import { Type } from '@sinclair/typebox';
import IORedis from 'ioredis';
import { defineNode, NodeCatalog } from '../../../src/contract';

/** Sleeps, but stops at once when the runtime aborts (timeout, cancel): no zombie work. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });
}

/** Node types for the fault suite; `hang` counts any run that outlives its abort in Redis. */
export function faultCatalog(redisUrl: string, prefix: string): NodeCatalog {
  let redis: IORedis | undefined;
  const counter = () => (redis ??= new IORedis(redisUrl, { maxRetriesPerRequest: null }));
  return new NodeCatalog([
    defineNode({
      type: 'step',
      version: 1,
      title: 'Step',
      category: 'test',
      description: 'Sleeps then adds one',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report', optional: true }],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({ ms: Type.Integer({ default: 50 }) }),
      cacheable: false,
      async run(ctx, inputs, params) {
        await sleep(params.ms, ctx.signal);
        const prev = (inputs.in as { value: number } | undefined)?.value ?? 0;
        return { out: { value: prev + 1 } };
      },
    }),
    defineNode({
      type: 'boom',
      version: 1,
      title: 'Boom',
      category: 'test',
      description: 'Always fails',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report', optional: true }],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({}),
      cacheable: false,
      async run() {
        throw new Error('model exploded');
      },
    }),
    defineNode({
      type: 'hang',
      version: 1,
      title: 'Hang',
      category: 'test',
      description: 'Takes far longer than its timeout',
      resource: 'cpu',
      inputs: [{ name: 'in', type: 'report', optional: true }],
      outputs: [{ name: 'out', type: 'report' }],
      params: Type.Object({ ms: Type.Integer({ default: 5000 }) }),
      cacheable: false,
      async run(ctx, _inputs, params) {
        await sleep(params.ms, ctx.signal);
        await counter().incr(`${prefix}:zombies`);
        return { out: { value: 1 } };
      },
    }),
  ]);
}
