import { NodeCatalog, type NodeDefinition } from '@studioflow/runtime/contract';
import { bestSelectNode } from './quality/best-select';
import { clipScoreNode } from './quality/clip-score';
import { colourCorrectNode } from './compose/colour-correct';
import { composePromptNode } from './generate/compose-prompt';
import { generateSceneNode } from './generate/generate-scene';
import { deliverNode } from './deliver/deliver';
import { fluxLocalNode } from './generate/flux-local';
import { humanReviewNode } from './control/human-review';
import { inputImageNode } from './input/input-image';
import { upscaleNode } from './compose/upscale';
import { marketplaceComplianceNode } from './compliance/marketplace-compliance';
import { productFidelityNode } from './quality/product-fidelity';
import { retryGateNode } from './control/retry-gate';
import { seedreamNode } from './generate/seedream';
import { segmentNode } from './segment/segment';
import { studioCompositeNode } from './compose/studio-composite';

/** Every node type this package provides, in catalog order. A new node is its folder and one entry here. */
export const productNodes: readonly NodeDefinition<any>[] = [
  inputImageNode,
  segmentNode,
  upscaleNode,
  studioCompositeNode,
  colourCorrectNode,
  composePromptNode,
  seedreamNode,
  generateSceneNode,
  fluxLocalNode,
  marketplaceComplianceNode,
  productFidelityNode,
  clipScoreNode,
  bestSelectNode,
  deliverNode,
  humanReviewNode,
  retryGateNode,
];

export function createProductCatalog(): NodeCatalog {
  return new NodeCatalog(productNodes);
}
