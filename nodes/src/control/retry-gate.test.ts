import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePlan, GraphInvalidError, type GateReport } from '@studioflow/runtime/scheduler';
import { runGraphLocally } from '@studioflow/runtime/local';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { createProductCatalog } from '../index';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing';

const catalog = createProductCatalog();

/** photo → cut → composite → fidelity → gate → deliver: the gate re-runs the composite when fidelity is low. */
function gatedShoot(gate: Record<string, unknown>): GraphDoc {
  return {
    nodes: [
      { id: 'photo', type: 'input-image' },
      { id: 'cut', type: 'segment' },
      { id: 'composite', type: 'studio-composite' },
      { id: 'fidelity', type: 'product-fidelity' },
      { id: 'gate', type: 'retry-gate', params: { rerunFrom: 'composite', adjust: [{ param: 'composite.fill', op: 'add', value: -0.1 }], ...gate } },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' },
      { source: 'cut', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      { source: 'cut', sourceHandle: 'cutout', target: 'fidelity', targetHandle: 'original' },
      { source: 'composite', sourceHandle: 'image', target: 'fidelity', targetHandle: 'candidate' },
      { source: 'composite', sourceHandle: 'mask', target: 'fidelity', targetHandle: 'candidateMask' },
      { source: 'fidelity', sourceHandle: 'score', target: 'gate', targetHandle: 'score' },
      { source: 'composite', sourceHandle: 'image', target: 'gate', targetHandle: 'image' },
      { source: 'gate', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  };
}

describe('retry-gate', () => {
  it('compiles into a product graph as a node the scheduler decides, with its defaults applied', () => {
    const plan = compilePlan(gatedShoot({}), catalog.descriptors);
    assert.equal(plan.nodes.gate.gate, true);
    assert.deepEqual([plan.nodes.gate.params.threshold, plan.nodes.gate.params.maxAttempts, plan.nodes.gate.params.onExhausted], [0.7, 3, 'fail']);
  });

  it('refuses at compile time a rerunFrom downstream of the gate', () => {
    assert.throws(() => compilePlan(gatedShoot({ rerunFrom: 'deliver' }), catalog.descriptors), (err: unknown) => {
      assert.ok(err instanceof GraphInvalidError);
      assert.deepEqual(err.problems.map((p) => p.nodeId), ['gate']);
      assert.match(err.problems[0].message, /rerunFrom "deliver" must name a node upstream of the gate/);
      return true;
    });
  });

  it('passes a faithful composite on to delivery in a local run and reports its one attempt', async () => {
    const h = await NodeHarness.create();
    try {
      const photo = await makeProductPhoto({ seed: 5, width: 800, height: 600 });
      const upload = await h.put(photo.jpeg, 'image/jpeg');
      const run = await runGraphLocally(gatedShoot({ threshold: 0.9 }), { catalog, artifacts: h.store, seeds: { upload } });
      assert.equal(run.error, undefined);
      const gate = run.snapshot.nodes.gate.outputs!;
      assert.deepEqual(gate.image, run.snapshot.nodes.composite.outputs?.image);
      const report = gate.report as unknown as GateReport;
      assert.deepEqual(report.attempts.map((a) => [a.attempt, a.params, a.passed]), [[1, { 'composite.fill': 0.85 }, true]]);
      assert.ok(report.attempts[0].score >= 0.9);
      assert.equal(run.snapshot.nodes.deliver.state, 'done');
    } finally {
      await h.close();
    }
  });
});
