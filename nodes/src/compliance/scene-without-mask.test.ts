import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { colourCorrectNode } from '../compose/colour-correct';
import { placeCutout, uniformPlacement } from '../image/placement';
import { inputImageNode } from '../input/input-image';
import { segmentNode } from '../segment/segment';
import { NodeHarness } from '../testing/node-harness';
import { makeScene } from '../testing/scene-backdrops';
import { makeProductPhoto } from '../testing/synthetic-product';
import { rawOf } from '../testing/support';
import { marketplaceComplianceNode } from './marketplace-compliance';

interface Check {
  id: string;
  pass: boolean;
  measured: unknown;
  message: string;
}

/**
 * A generated shot (the product on wood) without the generator's mask: the built-in matte cannot
 * tell the product on a scene, so compliance measures no product box and colour-correct matches no
 * colours, instead of measuring, cropping or recolouring whatever the matte found. With the mask
 * wired both work on the product.
 */
describe('compliance and colour-correct on a scene', () => {
  let h: NodeHarness;
  let original: ArtifactRef;
  let scene: ArtifactRef;
  let mask: ArtifactRef;
  before(async () => {
    h = await NodeHarness.create();
    const photo = (await makeProductPhoto({ seed: 21, kind: 'bottle', width: 1200, height: 900 })).jpeg;
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo, 'image/jpeg') })).image as ArtifactRef;
    original = (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
    const cut = await rawOf(h, original);
    const canvas = await makeScene('wood', 1200, 1200, 5);
    const placed = await placeCutout(canvas, cut, uniformPlacement(cut.width, cut.height, 600 - cut.width * 0.6, 650 - cut.height * 1.2, 1.2));
    scene = await h.put(await sharp(canvas.data, { raw: { width: 1200, height: 1200, channels: 3 } }).png().toBuffer(), 'image/png');
    mask = await h.put(await sharp(placed.mask, { raw: { width: 1200, height: 1200, channels: 1 } }).png().toBuffer(), 'image/png');
  });
  after(() => h.close());

  const fillCheck = async (inputs: { image: ArtifactRef; mask?: ArtifactRef }) => {
    const out = await h.runNode(marketplaceComplianceNode, inputs, { marketplace: 'amazon', autoFix: true } as never);
    const report = out.report as unknown as { checks: Check[]; fixed: string[] };
    return { check: report.checks.find((c) => c.id === 'product-fill')!, fixed: report.fixed, image: out.image as ArtifactRef };
  };

  it('compliance measures no product on the scene without a mask and does not reframe by a guess; with the mask it measures the product', async () => {
    const guessed = await fillCheck({ image: scene });
    assert.equal(guessed.check.pass, false);
    assert.equal(guessed.check.measured, null);
    assert.match(guessed.check.message, /not measured: the backdrop is a scene.*wire the generator's mask/);
    assert.ok(!guessed.fixed.some((f) => /reframed/.test(f)), `no reframing by a guessed product: ${guessed.fixed}`);

    // With the mask the product is known: the bottle (under half the frame) is reframed to Amazon's fill.
    const known = await fillCheck({ image: scene, mask });
    assert.ok(known.fixed.some((f) => /reframed.*filling/.test(f)), `reframed by the known product: ${known.fixed}`);
    assert.equal(known.check.pass, true, JSON.stringify(known.check));
  });

  it('colour-correct does not match colours on the scene without a mask, and does with it', async () => {
    const matched = async (inputs: { image: ArtifactRef; original: ArtifactRef; mask?: ArtifactRef }) => {
      const { image } = await h.runNode(colourCorrectNode, inputs, { whiteBalance: false, levels: false, matchProduct: true } as never);
      return (image as ArtifactRef).meta?.colourCorrection as { matchProduct: { applied: boolean; reason?: string } };
    };
    const guessed = await matched({ image: scene, original });
    assert.equal(guessed.matchProduct.applied, false);
    assert.match(guessed.matchProduct.reason ?? '', /scene/);
    assert.equal((await matched({ image: scene, original, mask })).matchProduct.applied, true);
  });
});
