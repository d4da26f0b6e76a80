import { Type, type Static } from '@sinclair/typebox';
import { defineNode } from '@studioflow/runtime/contract';
import type { RetryGateParams } from '@studioflow/runtime/scheduler';

const AdjustStep = Type.Object(
  {
    param: Type.String({ pattern: '^[^.]+\\..+$', description: '<nodeId>.<param> of a node the retry re-runs' }),
    op: Type.Union([Type.Literal('add'), Type.Literal('set'), Type.Literal('newSeed'), Type.Literal('cycle')], {
      description: 'add a number, set a value, a new seed, or the next value of a list (switch provider)',
    }),
    value: Type.Optional(Type.Unknown({ description: 'the number to add, the value to set, or the list to cycle through' })),
  },
  { additionalProperties: false },
);

const RetryGateParamsSchema = Type.Object({
  threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.7, description: 'pass when the score is at least this' }),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 5, default: 3, description: 'attempts including the first' }),
  rerunFrom: Type.String({ default: '', description: 'id of the upstream node a retry re-runs from (with everything up to the gate)' }),
  adjust: Type.Array(AdjustStep, { default: [], maxItems: 20, description: 'applied in order before every retry' }),
  onExhausted: Type.Union([Type.Literal('review'), Type.Literal('fail')], {
    default: 'fail',
    description: 'after the last attempt: park for human review (premium tier) or fail the run (refunded)',
  }),
});

// The scheduler reads these params (scheduler/retry-gate.ts): the schema must keep producing its shape.
const schemaFitsScheduler = (params: Static<typeof RetryGateParamsSchema>): RetryGateParams => params;
void schemaFitsScheduler;

/**
 * Retry gate: the scheduler decides here, no worker runs it. A score at or above the threshold
 * passes the image on; below it, the scheduler re-runs `rerunFrom` and everything up to the gate
 * with the `adjust` steps applied, then parks for review or fails the run. The report lists every
 * attempt's adjusted params and score.
 */
export const retryGateNode = defineNode({
  type: 'retry-gate',
  version: 1,
  title: 'Retry gate',
  category: 'quality',
  description: 'Below a score threshold, re-runs an upstream subgraph with adjusted params; after the last attempt, human review or a refunded failure.',
  resource: 'cpu',
  inputs: [
    { name: 'score', type: 'score', label: 'Score' },
    { name: 'image', type: 'image', label: 'Image', description: 'The candidate the score is about' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'The passing candidate' },
    { name: 'report', type: 'report', label: 'Attempts', description: '{ threshold, maxAttempts, passed, attempts: [{ attempt, score, params, passed }] }' },
  ],
  params: RetryGateParamsSchema,
  cacheable: false,
  gate: true,
  async run() {
    throw new Error('retry-gate is decided by the scheduler; it never runs on a worker');
  },
});
