import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProductCatalog } from '@studioflow/nodes';
import type { RunPlan } from '@studioflow/runtime/scheduler';
import { reviewItem, type ParkedRow, type RunNodeRow } from '../src/review/review-items';

const descriptors = createProductCatalog().descriptors;
const ref = (hash: string, extra: Record<string, unknown> = {}) => ({ hash, mime: 'image/png', bytes: 10, width: 64, height: 64, ...extra });

/** The AI scene template's shape, cut to what a review reads: a gate out of attempts parks the run. */
function planNode(id: string, type: string, params: Record<string, unknown>, inputs: Array<[string, string, string]>, extra: Record<string, unknown> = {}) {
  const upstream = [...new Set(inputs.map(([, node]) => node))];
  return [id, { id, type, params, inputs: inputs.map(([port, node, from]) => ({ port, multiple: false, sources: [{ node, port: from }] })), upstream, downstream: [], outputs: [], ...extra }] as const;
}
const plan = {
  nodes: Object.fromEntries([
    planNode('input', 'input-image', {}, []),
    planNode('segment', 'segment', { model: 'auto' }, [['image', 'input', 'image']]),
    planNode('generate', 'generate-scene', { provider: 'auto', seed: -1 }, [['cutout', 'segment', 'cutout']]),
    planNode('fidelity', 'product-fidelity', { threshold: 0.6, model: 'auto' }, [['original', 'segment', 'cutout'], ['candidate', 'generate', 'image']]),
    planNode('clip', 'clip-score', { zeroAt: 0, oneAt: 0.4 }, [['candidates', 'generate', 'image']]),
    planNode('gate', 'retry-gate', { threshold: 0.6, maxAttempts: 3, rerunFrom: 'generate', adjust: [], onExhausted: 'review' }, [['image', 'generate', 'image'], ['score', 'fidelity', 'score']], { gate: true }),
  ]),
  order: ['input', 'segment', 'generate', 'fidelity', 'clip', 'gate'],
  sinks: ['gate'],
} as unknown as RunPlan;

const rows: RunNodeRow[] = [
  { node_id: 'input', node_type: 'input-image', state: 'done', outputs: { image: ref('in') }, params_override: null },
  { node_id: 'segment', node_type: 'segment', state: 'done', outputs: { cutout: ref('cut') }, params_override: null },
  { node_id: 'generate', node_type: 'generate-scene', state: 'done', outputs: { image: ref('cand') }, params_override: { seed: 77 } },
  {
    node_id: 'fidelity',
    node_type: 'product-fidelity',
    state: 'done',
    outputs: { score: { score: 0.41, pass: false, threshold: 0.6, candidate: 'cand', parts: { maskIoU: 0.8 }, partScores: { maskIoU: 0.41 }, failing: ['maskIoU'] } },
    params_override: null,
  },
  { node_id: 'clip', node_type: 'clip-score', state: 'done', outputs: { score: { score: 0.7, perCandidate: [{ hash: 'cand', similarity: 0.28, score: 0.7 }] } }, params_override: null },
  {
    node_id: 'gate',
    node_type: 'retry-gate',
    state: 'awaiting_review',
    outputs: { report: { attempts: [1, 2, 3].map((attempt) => ({ attempt, score: 0.4, passed: false, params: { 'generate.seed': attempt } })) } },
    params_override: null,
  },
];

test('a retry gate out of attempts reads as a review: its candidate with fidelity and CLIP, the attempts, the default SLA, generate re-run by default', () => {
  const since = new Date('2026-12-01T10:00:00Z');
  const row: ParkedRow = {
    run_id: '00000000-0000-4000-8000-000000000001',
    node_id: 'gate',
    node_type: 'retry-gate',
    generation: 4,
    since,
    tenant_id: 't',
    plan,
    seed_inputs: { input: { upload: ref('upload', { mime: 'image/jpeg' }) } },
    template_id: 'tpl',
    template_slug: 'ai-scene',
    template_name: 'AI scene',
  };
  const item = reviewItem(row, new Map(rows.map((r) => [r.node_id, r])), descriptors, (hash) => `/signed/${hash}`, since.getTime() + 61 * 60_000);
  assert.equal(item.original?.url, '/signed/upload', 'the uploaded photo');
  assert.deepEqual(item.candidates.map((c) => c.image.url), ['/signed/cand']);
  assert.equal(item.candidates[0].fidelity?.score, 0.41);
  assert.deepEqual(item.candidates[0].fidelity?.failing, ['maskIoU']);
  assert.equal(item.candidates[0].clip?.score, 0.7);
  assert.equal(item.attempts?.length, 3);
  assert.match(item.instructions, /below 0\.6 after 3 attempts/);
  assert.equal(item.slaMinutes, 60, 'a gate has the default SLA');
  assert.equal(item.overdue, true, '61 minutes is past a 60-minute SLA');
  assert.equal(item.ageSeconds, 61 * 60);
  assert.equal(item.defaultRerunFrom, 'generate', "the gate's own rerunFrom");
  assert.deepEqual(item.adjustable.map((n) => n.nodeId), ['generate', 'fidelity', 'segment'], 'upstream nodes of the gate, nearest first; not the upload, nor clip (it does not feed the gate)');
  const seed = item.adjustable[0].params.find((p) => p.name === 'seed');
  assert.equal(seed?.value, 77, "the run's override is the current value");
  assert.equal(seed?.schema.minimum, -1);
});
