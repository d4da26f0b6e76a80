import { NodeCatalog, type NodeDefinition } from '@studioflow/runtime/contract';
import { colourCorrectNode } from './compose/colour-correct';
import { composePromptNode } from './generate/compose-prompt';
import { deliverNode } from './deliver/deliver';
import { humanReviewNode } from './control/human-review';
import { inputImageNode } from './input/input-image';
import { marketplaceComplianceNode } from './compliance/marketplace-compliance';
import { productFidelityNode } from './quality/product-fidelity';
import { segmentNode } from './segment/segment';
import { studioCompositeNode } from './compose/studio-composite';

export { colourCorrectNode, composePromptNode, deliverNode, humanReviewNode, inputImageNode, marketplaceComplianceNode, productFidelityNode, segmentNode, studioCompositeNode };
export {
  BUILT_IN_PRESETS, configuredModel, configuredModels, MODEL_CONFIG_HINT, modelFingerprint, modelPresets, resolveModel,
  type ResolvedModel, type SegmentationPreset,
} from './models/model-registry';
export { MARKETPLACE_RULES, MARKETPLACES, type Marketplace, type MarketplaceRules } from './compliance/marketplace-rules';
export { FRAME_SIZES, type FrameSize } from './compose/studio-composite';
export { inputImageSizeProblem, MIN_INPUT_SIDE } from './input/input-image';
export { DEFAULT_MAX_PIXELS, maxInputPixels } from './image/decode';
export { STUDIOFLOW_XMP_NS, DIGITAL_SOURCE_TYPES, type DigitalSourceType } from './image/xmp';
export { warmUpProductNodes } from './warm-up';

/** Every node type this package provides, in catalog order. */
export const productNodes: readonly NodeDefinition<any>[] = [
  inputImageNode,
  segmentNode,
  studioCompositeNode,
  colourCorrectNode,
  composePromptNode,
  marketplaceComplianceNode,
  productFidelityNode,
  deliverNode,
  humanReviewNode,
];

export function createProductCatalog(): NodeCatalog {
  return new NodeCatalog(productNodes);
}
