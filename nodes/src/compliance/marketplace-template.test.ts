import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { validateGraph, type GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally, type LocalRunEvent } from '@studioflow/runtime/local';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { createProductCatalog } from '..';
import { makeProductPhoto, NodeHarness } from '../testing';

const templatePath = join(__dirname, '..', '..', '..', '..', 'templates', 'marketplace-studio.json');

describe('marketplace-studio template', () => {
  it('validates, and runs to an Amazon-compliant JPEG with a passing fidelity score', async () => {
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { slug: string; exposedParams: Array<{ nodeId: string; param: string }>; graph: GraphDoc };
    const catalog = createProductCatalog();
    assert.deepEqual(validateGraph(template.graph, catalog.descriptors).problems, []);
    for (const p of template.exposedParams) assert.ok(template.graph.nodes.some((n) => n.id === p.nodeId), `${p.nodeId}.${p.param} exists`);

    const h = await NodeHarness.create();
    try {
      const photo = await makeProductPhoto({ seed: 31, width: 1600, height: 1200 });
      const upload = await h.put(photo.jpeg, 'image/jpeg');
      const durations: Record<string, number> = {};
      const completed: Record<string, Record<string, unknown>> = {};
      const onEvent = (e: LocalRunEvent) => {
        if (e.type === 'node.completed') (durations[e.nodeId] = e.durationMs), (completed[e.nodeId] = e.outputs);
      };
      const t0 = Date.now();
      const run = await runGraphLocally(template.graph, { catalog, artifacts: h.store, seeds: { upload }, onEvent });
      assert.equal(run.error, undefined);
      console.log(`marketplace-studio: ${Date.now() - t0} ms wall; per node ${JSON.stringify(durations)}`);

      const compliance = completed.compliance.report as { pass: boolean; checks: Array<{ id: string; pass: boolean }>; fixed: string[] };
      assert.ok(compliance.pass, JSON.stringify(compliance.checks.filter((c) => !c.pass)));
      const score = run.outputs.fidelity?.score as { score: number; pass: boolean; parts: Record<string, number> };
      console.log(`marketplace-studio: fidelity ${JSON.stringify(score.parts)} → ${score.score}; compliance fixed: ${JSON.stringify(compliance.fixed)}`);
      assert.equal(score.pass, true);
      assert.ok(score.score >= 0.9, `fidelity score ${score.score}`);

      const jpeg = run.outputs.deliver?.jpeg as ArtifactRef;
      const bytes = await h.get(jpeg);
      const meta = await sharp(bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 2048, 2048]);
      const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([...data.subarray(0, 3)], [255, 255, 255], 'the delivered corner is pure white');
    } finally {
      await h.close();
    }
  });
});
