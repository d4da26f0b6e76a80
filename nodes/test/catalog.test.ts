import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { validateGraph, type GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally } from '@studioflow/runtime/local';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { createProductCatalog, productNodes } from '../src';
import { makeProductPhoto, NodeHarness } from '../src/testing';

const templatePath = join(__dirname, '..', '..', '..', 'templates', 'white-studio.json');

describe('catalog', () => {
  it('lists the product nodes with JSON-schema params and defaults', () => {
    const catalog = createProductCatalog();
    const types = catalog.descriptors.map((d) => d.type);
    for (const type of ['input-image', 'segment', 'studio-composite', 'compose-prompt', 'seedream', 'deliver', 'human-review', 'retry-gate']) assert.ok(types.includes(type), type);
    assert.equal(productNodes.length, types.length);
    for (const d of catalog.descriptors) {
      assert.equal(d.params.type, 'object');
      assert.equal(d.params.additionalProperties, false);
      for (const [name, schema] of Object.entries(d.params.properties)) assert.ok('default' in schema, `${d.type}.${name} has a default`);
    }
  });

  it('validates and runs the white-studio template end to end with the local runner', async () => {
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { graph: GraphDoc };
    const catalog = createProductCatalog();
    const result = validateGraph(template.graph, catalog.descriptors);
    assert.deepEqual(result.problems, []);
    const h = await NodeHarness.create();
    try {
      // Large enough that the product reaches 2048 within the 2× enlargement cap.
      const photo = await makeProductPhoto({ seed: 21, width: 2600, height: 1950 });
      const upload = await h.put(photo.jpeg, 'image/jpeg');
      const run = await runGraphLocally(template.graph, { catalog, artifacts: h.store, seeds: { upload } });
      assert.equal(run.error, undefined);
      const jpeg = run.outputs.deliver?.jpeg as ArtifactRef;
      const meta = await sharp(await h.get(jpeg)).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 2048, 2048]);
      assert.ok(meta.xmp?.toString().includes(run.runId));
    } finally {
      await h.close();
    }
  });

  it('validates and runs a graph ending in compose-prompt, whose prompt output is plain JSON', async () => {
    const catalog = createProductCatalog();
    const graph: GraphDoc = {
      nodes: [
        { id: 'input', type: 'input-image', position: { x: 0, y: 0 }, params: {} },
        { id: 'segment', type: 'segment', position: { x: 300, y: 0 }, params: {} },
        { id: 'prompt', type: 'compose-prompt', position: { x: 600, y: 0 }, params: { scene: 'marble-bathroom', tier: 'premium', title: 'Face Serum 30 ml', timeOfDay: 'evening' } },
      ],
      edges: [
        { id: 'e1', source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
        { id: 'e2', source: 'segment', sourceHandle: 'cutout', target: 'prompt', targetHandle: 'cutout' },
      ],
    };
    assert.deepEqual(validateGraph(graph, catalog.descriptors).problems, []);
    const wrongOption = structuredClone(graph);
    wrongOption.nodes[2].params = { scene: 'marble-bathroom', timeOfDay: 'golden-hour' };
    assert.ok(validateGraph(wrongOption, catalog.descriptors).problems.some((p) => p.nodeId === 'prompt'));
    const h = await NodeHarness.create();
    try {
      const photo = await makeProductPhoto({ seed: 4, kind: 'bottle', color: '#6b2d8f', width: 900, height: 700 });
      const run = await runGraphLocally(graph, { catalog, artifacts: h.store, seeds: { upload: await h.put(photo.jpeg, 'image/jpeg') } });
      assert.equal(run.error, undefined);
      const prompt = run.outputs.prompt?.prompt as { positive: string; scene: string; tier: string };
      assert.deepEqual([prompt.scene, prompt.tier], ['marble-bathroom', 'premium']);
      assert.match(prompt.positive, /^Professional product photograph of Face Serum 30 ml \(purple/);
    } finally {
      await h.close();
    }
  });
});
