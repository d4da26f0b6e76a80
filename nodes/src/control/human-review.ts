import { Type } from '@sinclair/typebox';
import { defineNode } from '@studioflow/runtime/contract';
import { DEFAULT_REVIEW_SLA_MINUTES } from '@studioflow/runtime/graph';

/**
 * Human review: the scheduler parks the run here (state awaiting_review, no worker held) — always,
 * or with park: doubtful only when an input is marked doubtful — until a reviewer approves (the image passes through), rejects (the run fails and is refunded) or asks
 * for a retry from an upstream node with adjusted params. It never runs on a worker.
 */
export const humanReviewNode = defineNode({
  type: 'human-review',
  version: 1,
  title: 'Human review',
  category: 'quality',
  description: 'Parks the run until a reviewer approves, rejects (refund) or retries an upstream node with new params.',
  resource: 'cpu',
  inputs: [
    { name: 'image', type: 'image', label: 'Image' },
    { name: 'score', type: 'score', label: 'Score', optional: true, description: 'Shown to the reviewer' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image' },
    { name: 'decision', type: 'review-decision', label: 'Decision' },
  ],
  params: Type.Object({
    instructions: Type.String({ default: 'Check that the product is unchanged and the shot is usable.', maxLength: 2000, description: 'Shown to the reviewer' }),
    park: Type.Union([Type.Literal('always'), Type.Literal('doubtful')], {
      default: 'always',
      description: 'always: every run stops here; doubtful: only runs whose input is marked doubtful (a cut-out the segment node doubts, with its trustCheck review) stop, the rest pass on',
    }),
    slaMinutes: Type.Integer({
      title: 'SLA (minutes)',
      minimum: 1,
      maximum: 10080,
      default: DEFAULT_REVIEW_SLA_MINUTES,
      description: 'How long a parked run may wait for a decision before the review console shows it overdue',
    }),
  }),
  cacheable: false,
  parks: true,
  async run() {
    throw new Error('human-review parks the run; the scheduler never dispatches it to a worker');
  },
});
