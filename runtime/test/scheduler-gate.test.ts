import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, decide, derivedSeed, GraphInvalidError, initialSnapshot, type Decision, type GateReport, type RunPlan, type RunSnapshot, type SchedulerEvent } from '../src/scheduler';
import type { PortValues } from '../src/contract';
import { validateGraph } from '../src/graph';
import { gated, testCatalog } from './support/test-nodes';

const catalog = testCatalog().descriptors;
type Enqueue = Extract<Decision, { kind: 'enqueue' }>;
const enqueued = (ds: Decision[]) => ds.filter((d): d is Enqueue => d.kind === 'enqueue');

/** Plays a worker: runs each enqueued test node as its type would and feeds the result back. */
function workerOutputs(plan: RunPlan, job: Enqueue): PortValues {
  const prev = job.inputs.in as { value: number; path: string[] } | undefined;
  switch (plan.nodes[job.nodeId].type) {
    case 'source':
      return { out: { value: job.params.value, path: [job.nodeId] } };
    case 'pass':
      return { out: { value: prev!.value + 1, path: [...prev!.path, job.nodeId] } };
    case 'scorer':
      return { score: { score: job.params.quality as number, parts: {} }, out: { value: prev!.value, path: [...prev!.path, job.nodeId] } };
    default:
      throw new Error(`no worker for ${job.nodeId}`);
  }
}

/** Starts the run and completes every job until none is left; returns every decision along the way. */
function drive(plan: RunPlan, runId = 'run-1'): { snapshot: RunSnapshot; decisions: Decision[] } {
  const all: Decision[] = [];
  let r = decide(plan, { ...initialSnapshot(plan), runId }, { kind: 'start' });
  all.push(...r.decisions);
  const queue = enqueued(r.decisions);
  while (queue.length) {
    const job = queue.shift()!;
    const event: SchedulerEvent = { kind: 'node_succeeded', nodeId: job.nodeId, generation: job.generation, outputs: workerOutputs(plan, job) };
    r = decide(plan, r.snapshot, event);
    all.push(...r.decisions);
    queue.push(...enqueued(r.decisions));
  }
  return { snapshot: r.snapshot, decisions: all };
}

const report = (s: RunSnapshot) => s.nodes.G.outputs?.report as unknown as GateReport;

test('a score at the threshold passes on the first attempt: the gate hands its image on and reports one attempt', () => {
  const plan = compilePlan(gated({ threshold: 0.2 }), catalog);
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'completed');
  assert.deepEqual(snapshot.nodes.G.outputs?.image, { value: 2, path: ['A', 'P', 'S'] });
  assert.deepEqual(report(snapshot).attempts, [{ attempt: 1, score: 0.2, params: { 'S.quality': 0.2 }, passed: true }]);
  assert.equal(report(snapshot).passed, true);
  assert.deepEqual(enqueued(decisions).map((d) => d.nodeId), ['A', 'P', 'S', 'B'], 'nothing ran twice');
});

test('a low score re-runs the subgraph from rerunFrom with the adjusted param, and the second attempt passes', () => {
  const plan = compilePlan(gated(), catalog);
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'completed');
  assert.deepEqual(enqueued(decisions).map((d) => d.nodeId), ['A', 'P', 'S', 'P', 'S', 'B']);
  const secondScorer = enqueued(decisions).filter((d) => d.nodeId === 'S')[1];
  assert.equal(secondScorer.params.quality, 0.8, 'the re-enqueued job carries the adjusted param');
  assert.equal(secondScorer.generation, 3, 'a reset and a dispatch each open a generation');
  assert.deepEqual(report(snapshot).attempts, [
    { attempt: 1, score: 0.2, params: { 'S.quality': 0.2 }, passed: false },
    { attempt: 2, score: 0.8, params: { 'S.quality': 0.8 }, passed: true },
  ]);
  assert.deepEqual(snapshot.nodes.S.params, { quality: 0.8 }, 'the override is kept as the node param override the store persists');
  const persisted = decisions.find((d) => d.kind === 'node_state' && d.nodeId === 'S' && d.params);
  assert.deepEqual(persisted && persisted.kind === 'node_state' && persisted.params, { quality: 0.8 });
  assert.equal(decisions.filter((d) => d.kind === 'refund').length, 0);
});

test('nothing downstream of the gate is touched until the gate passes', () => {
  const plan = compilePlan(gated(), catalog);
  let r = decide(plan, { ...initialSnapshot(plan), runId: 'run-1' }, { kind: 'start' });
  for (const [nodeId, generation] of [['A', 1], ['P', 1]] as const) {
    const job = enqueued(r.decisions)[0];
    assert.equal(job.nodeId, nodeId);
    r = decide(plan, r.snapshot, { kind: 'node_succeeded', nodeId, generation, outputs: workerOutputs(plan, job) });
  }
  const scorer = enqueued(r.decisions)[0];
  r = decide(plan, r.snapshot, { kind: 'node_succeeded', nodeId: 'S', generation: 1, outputs: workerOutputs(plan, scorer) });
  assert.deepEqual(r.decisions.filter((d) => 'nodeId' in d && d.nodeId === 'B'), []);
  assert.deepEqual(r.snapshot.nodes.B, { state: 'pending', generation: 0 });
  assert.deepEqual([r.snapshot.nodes.A.state, r.snapshot.nodes.A.generation], ['done', 1], 'upstream of rerunFrom is kept');
  assert.deepEqual(enqueued(r.decisions).map((d) => [d.nodeId, d.generation]), [['P', 3]]);
  assert.equal(r.snapshot.nodes.G.state, 'pending');
  assert.equal(report(r.snapshot).attempts.length, 1, 'the gate keeps its first attempt while the retry runs');
  assert.equal(r.snapshot.status, 'running');
});

test('exhausted attempts with onExhausted fail the run and refund it exactly once', () => {
  const plan = compilePlan(gated({ adjust: [{ param: 'S.quality', op: 'add', value: 0.1 }] }), catalog);
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'failed');
  assert.equal(snapshot.nodes.G.state, 'failed');
  assert.match(snapshot.nodes.G.error ?? '', /stayed below 0.7 after 3 attempts/);
  assert.deepEqual(report(snapshot).attempts.map((a) => a.score), [0.2, 0.3, 0.4], 'added steps accumulate without float noise');
  assert.equal(decisions.filter((d) => d.kind === 'refund').length, 1);
  assert.equal(snapshot.nodes.B.state, 'skipped');
  assert.equal(enqueued(decisions).filter((d) => d.nodeId === 'S').length, 3);
});

test('exhausted attempts with onExhausted review park the gate for a person, who can approve the last candidate', () => {
  const plan = compilePlan(gated({ maxAttempts: 2, adjust: [{ param: 'S.quality', op: 'add', value: 0.1 }], onExhausted: 'review' }), catalog);
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'awaiting_review');
  assert.equal(snapshot.nodes.G.state, 'awaiting_review');
  assert.equal(report(snapshot).attempts.length, 2);
  assert.equal(decisions.filter((d) => d.kind === 'refund').length, 0);
  const approved = decide(plan, snapshot, { kind: 'review_decided', nodeId: 'G', generation: snapshot.nodes.G.generation, decision: 'approve', note: 'good enough' });
  assert.deepEqual(enqueued(approved.decisions).map((d) => d.nodeId), ['B']);
  assert.deepEqual(approved.snapshot.nodes.G.outputs?.image, { value: 2, path: ['A', 'P', 'S'] });
  assert.deepEqual((approved.snapshot.nodes.G.outputs?.report as unknown as GateReport).review, { decision: 'approve', note: 'good enough' });
});

test('a reviewer retry at an exhausted gate is recorded as one more attempt', () => {
  const plan = compilePlan(gated({ maxAttempts: 1, onExhausted: 'review' }), catalog);
  const parked = drive(plan).snapshot;
  let r = decide(plan, parked, { kind: 'review_decided', nodeId: 'G', generation: parked.nodes.G.generation, decision: 'retry', rerunFrom: 'S', params: { quality: 0.9 } });
  const [job] = enqueued(r.decisions);
  assert.deepEqual([job.nodeId, job.params.quality], ['S', 0.9]);
  r = decide(plan, r.snapshot, { kind: 'node_succeeded', nodeId: 'S', generation: job.generation, outputs: workerOutputs(plan, job) });
  assert.equal(r.snapshot.nodes.G.state, 'done');
  assert.deepEqual(report(r.snapshot).attempts.map((a) => [a.attempt, a.score, a.passed]), [[1, 0.2, false], [2, 0.9, true]]);
});

test('newSeed, set and cycle adjust deterministically from the run id and attempt', () => {
  const adjust = [
    { param: 'S.seed', op: 'newSeed' },
    { param: 'S.provider', op: 'cycle', value: ['a', 'b'] },
    { param: 'P.fail', op: 'set', value: false },
  ];
  const plan = compilePlan(gated({ maxAttempts: 2, adjust }), catalog);
  const first = drive(plan, 'run-1');
  const again = drive(plan, 'run-1');
  const other = drive(plan, 'run-2');
  const params = (s: RunSnapshot) => report(s).attempts.map((a) => a.params);
  assert.deepEqual(params(first.snapshot), params(again.snapshot), 'the same run decides the same params');
  const [one, two] = params(first.snapshot);
  assert.deepEqual(one, { 'S.seed': 0, 'S.provider': 'a', 'P.fail': false });
  assert.equal(two['S.provider'], 'b');
  assert.equal(two['S.seed'], derivedSeed('run-1/G/2/S.seed'));
  assert.notEqual(params(other.snapshot)[1]['S.seed'], two['S.seed'], 'another run gets another seed');
});

test('a retry also re-runs side branches of the subgraph, so none keeps the rejected candidate', () => {
  const doc = gated();
  doc.nodes.push({ id: 'X', type: 'pass' });
  doc.edges.push({ source: 'P', sourceHandle: 'out', target: 'X', targetHandle: 'in' });
  const plan = compilePlan(doc, catalog);
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'completed');
  assert.equal(enqueued(decisions).filter((d) => d.nodeId === 'X').length, 2);
  assert.equal(snapshot.nodes.X.generation, 3);
});

test('re-driving a run its gate failed starts a fresh round of attempts with a new charge', () => {
  const plan = compilePlan(gated({ maxAttempts: 1 }), catalog);
  const failed = drive(plan).snapshot;
  assert.equal(failed.status, 'failed');
  const r = decide(plan, failed, { kind: 'redrive', reason: 'operator' });
  assert.equal(r.decisions.filter((d) => d.kind === 'charge').length, 1);
  assert.equal(r.snapshot.status, 'failed', 'the same score fails the same gate again');
  assert.equal(report(r.snapshot).attempts.length, 1);
  assert.equal(r.decisions.filter((d) => d.kind === 'refund').length, 1);
});

function compileError(gateParams: Record<string, unknown>): string {
  try {
    compilePlan(gated(gateParams), catalog);
  } catch (err) {
    assert.ok(err instanceof GraphInvalidError);
    return err.problems.map((p) => `${p.nodeId}: ${p.message}`).join('\n');
  }
  assert.fail('compiled');
}

test('a rerunFrom that is not upstream of the gate is a graph problem at compile time and in the shared validator', () => {
  assert.deepEqual(validateGraph(gated({ rerunFrom: 'B' }), catalog).problems, [
    { code: 'invalid_params', nodeId: 'G', message: 'retry gate "G": rerunFrom "B" must name a node upstream of the gate' },
  ]);
  assert.deepEqual(validateGraph(gated(), catalog).problems, []);
  assert.match(compileError({ rerunFrom: 'B' }), /G: retry gate "G": rerunFrom "B" must name a node upstream of the gate/);
  assert.match(compileError({ rerunFrom: 'G' }), /rerunFrom "G" must name a node upstream/);
  assert.match(compileError({ rerunFrom: '' }), /rerunFrom "" must name a node upstream/);
});

test('an adjustment of a node the retry does not re-run, or of an unknown param, is a graph problem', () => {
  assert.match(compileError({ adjust: [{ param: 'A.value', op: 'add', value: 1 }] }), /adjust "A.value" must name a param of a node the retry re-runs/);
  assert.match(compileError({ adjust: [{ param: 'S.nope', op: 'set', value: 1 }] }), /adjust "S.nope"/);
  assert.match(compileError({ adjust: [{ param: 'S.provider', op: 'cycle', value: [] }] }), /non-empty list/);
});

test('an adjustment whose first retry leaves the param schema is a graph problem in the shared validator', () => {
  const problems = (adjust: unknown[]) => validateGraph(gated({ adjust }), catalog).problems.map((p) => p.message).join('\n');
  assert.match(problems([{ param: 'S.quality', op: 'set', value: 1.5 }]), /adjust "S.quality" sets 1.5 on the first retry, which its schema refuses: .*quality.*<= 1/);
  assert.match(problems([{ param: 'S.quality', op: 'set', value: 'high' }]), /adjust "S.quality" sets "high"/);
  assert.match(problems([{ param: 'S.quality', op: 'add', value: -0.5 }]), /adjust "S.quality" takes it to -0.3 on the first retry.*>= 0/);
  assert.match(problems([{ param: 'S.provider', op: 'add', value: 1 }]), /adds to a param that is not a number/);
  assert.match(problems([{ param: 'S.quality', op: 'cycle', value: [0.5, 2] }]), /sets 2 on the first retry/);
  assert.equal(problems([{ param: 'S.quality', op: 'add', value: 0.3 }]), '', 'an add that only later walks past the maximum is valid: the retry clamps it');
  assert.match(compileError({ adjust: [{ param: 'S.quality', op: 'set', value: 7 }] }), /G: retry gate "G": adjust "S.quality" sets 7/);
});

test('at retry time an adjusted value past its schema range is clamped to the bound, and the attempt report says so', () => {
  const plan = compilePlan(gated({ threshold: 0.95, maxAttempts: 4, adjust: [{ param: 'S.quality', op: 'add', value: 0.3 }] }), catalog);
  assert.deepEqual(plan.nodes.G.adjustRanges, { 'S.quality': { minimum: 0, maximum: 1 } }, 'the plan carries the range from the scorer schema');
  const { snapshot, decisions } = drive(plan);
  assert.equal(snapshot.status, 'completed');
  const scorerJobs = enqueued(decisions).filter((d) => d.nodeId === 'S').map((d) => d.params.quality);
  assert.deepEqual(scorerJobs, [0.2, 0.5, 0.8, 1], 'the fourth attempt runs at the maximum, not at 1.1');
  assert.deepEqual(report(snapshot).attempts, [
    { attempt: 1, score: 0.2, params: { 'S.quality': 0.2 }, passed: false },
    { attempt: 2, score: 0.5, params: { 'S.quality': 0.5 }, passed: false },
    { attempt: 3, score: 0.8, params: { 'S.quality': 0.8 }, passed: false, clamped: [{ param: 'S.quality', wanted: 1.1, applied: 1 }] },
    { attempt: 4, score: 1, params: { 'S.quality': 1 }, passed: true },
  ]);
});
