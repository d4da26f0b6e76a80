import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { colourCorrectNode } from './compose/colour-correct';
import { deliverNode } from './deliver/deliver';
import { inputImageNode } from './input/input-image';
import { marketplaceComplianceNode } from './compliance/marketplace-compliance';
import { productFidelityNode } from './quality/product-fidelity';
import { segmentNode } from './segment/segment';
import { studioCompositeNode } from './compose/studio-composite';
import { NodeHarness } from './testing/node-harness';
import { makeProductPhoto } from './testing/synthetic-product';

/**
 * Runs the product nodes a few times on small synthetic photos so V8 has optimised the pixel loops
 * before the first real job (the first run of a fresh process is ~1.7x slower). For worker start-up (~4 s).
 * Covers both shipped chains: white-studio and marketplace-studio (colour-correct, compliance).
 * Segment runs its classical matte, what CPU workers run: a model runs on the GPU runtime, never here.
 */
export async function warmUpProductNodes(o: { small?: number; fullSize?: number } = {}): Promise<void> {
  const runs = o.small ?? 4;
  const h = await NodeHarness.create();
  try {
    for (let i = 0; i < runs + (o.fullSize ?? 4); i++) {
      const photo = await makeProductPhoto({ seed: 100 + i, width: 640, height: 480 });
      // The last runs at the working size, one per product kind, so the pixel loops have seen real
      // trip counts and every branch (the first 12 MP job is then ~25 % faster, near steady state);
      // upscaled, because generating a large photo costs memory.
      const jpeg = i < runs ? photo.jpeg : await sharp(photo.jpeg).resize(2048, 1536).jpeg({ quality: 90 }).toBuffer();
      const a = await h.runNode(inputImageNode, { upload: await h.put(jpeg, 'image/jpeg') });
      const b = await h.runNode(segmentNode, { image: a.image as ArtifactRef }, { method: 'classical' });
      const c = await h.runNode(studioCompositeNode, { cutout: b.cutout as ArtifactRef });
      const d = await h.runNode(colourCorrectNode, { image: c.image as ArtifactRef, original: b.cutout as ArtifactRef, mask: c.mask as ArtifactRef });
      const e = await h.runNode(marketplaceComplianceNode, { image: d.image as ArtifactRef, mask: c.mask as ArtifactRef }, { autoFix: true });
      await h.runNode(deliverNode, { image: e.image as ArtifactRef });
      await h.runNode(productFidelityNode, { original: b.cutout as ArtifactRef, candidate: e.image as ArtifactRef, candidateMask: e.mask as ArtifactRef });
    }
  } finally {
    await h.close();
  }
}
