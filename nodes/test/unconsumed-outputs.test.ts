import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageNode } from '../src/input/input-image';
import { segmentNode } from '../src/segment/segment';
import { studioCompositeNode } from '../src/compose/studio-composite';
import { NodeHarness, schemaDefaults } from '../src/testing/node-harness';
import { makeProductPhoto } from '../src/testing/synthetic-product';

describe('masks nothing consumes are not produced', () => {
  let h: NodeHarness;
  let image: ArtifactRef;
  before(async () => {
    h = await NodeHarness.create();
    const upload = await h.put((await makeProductPhoto({ seed: 21, width: 800, height: 600 })).jpeg, 'image/jpeg');
    image = (await h.runNode(inputImageNode, { upload })).image as ArtifactRef;
  });
  after(() => h.close());

  it('segment and studio-composite skip their mask when the run does not want it, and give the same picture', async () => {
    const segAll = await segmentNode.run(h.context('seg'), { image }, schemaDefaults(segmentNode) as never);
    const segLean = await segmentNode.run(h.context('seg', undefined, ['cutout']), { image }, schemaDefaults(segmentNode) as never);
    assert.ok(segAll.mask, 'a run that wants everything gets the mask');
    assert.equal(segLean.mask, undefined);
    assert.equal((segLean.cutout as ArtifactRef).hash, (segAll.cutout as ArtifactRef).hash);

    const cutout = segLean.cutout as ArtifactRef;
    const compAll = await studioCompositeNode.run(h.context('comp'), { cutout }, schemaDefaults(studioCompositeNode) as never);
    const compLean = await studioCompositeNode.run(h.context('comp', undefined, ['image']), { cutout }, schemaDefaults(studioCompositeNode) as never);
    assert.ok(compAll.mask);
    assert.equal(compLean.mask, undefined);
    assert.equal((compLean.image as ArtifactRef).hash, (compAll.image as ArtifactRef).hash);
  });
});
