import { NodeCatalog, type NodeDefinition } from '@studioflow/runtime/contract';
import { colourCorrectNode } from './colour-correct';
import { deliverNode } from './deliver';
import { humanReviewNode } from './human-review';
import { inputImageNode } from './input-image';
import { marketplaceComplianceNode } from './marketplace-compliance';
import { productFidelityNode } from './product-fidelity';
import { segmentNode } from './segment';
import { studioCompositeNode } from './studio-composite';

export { colourCorrectNode, deliverNode, humanReviewNode, inputImageNode, marketplaceComplianceNode, productFidelityNode, segmentNode, studioCompositeNode };
export { BUILT_IN_PRESETS, modelPresets, type SegmentationPreset } from './image/model-registry';
export { configuredProvider, onnxSessionPool } from './image/onnx-sessions';
export { MARKETPLACE_RULES, MARKETPLACES, type Marketplace, type MarketplaceRules } from './image/marketplace-rules';
export { FRAME_SIZES, type FrameSize } from './studio-composite';
export { inputImageSizeProblem, MIN_INPUT_SIDE } from './input-image';
export { DEFAULT_MAX_PIXELS, maxInputPixels } from './image/decode';
export { STUDIOFLOW_XMP_NS, DIGITAL_SOURCE_TYPES, type DigitalSourceType } from './image/xmp';
export { warmUpProductNodes } from './warm-up';
export * from './testing';

/** Every node type this package provides, in catalog order. */
export const productNodes: readonly NodeDefinition<any>[] = [
  inputImageNode,
  segmentNode,
  studioCompositeNode,
  colourCorrectNode,
  marketplaceComplianceNode,
  productFidelityNode,
  deliverNode,
  humanReviewNode,
];

export function createProductCatalog(): NodeCatalog {
  return new NodeCatalog(productNodes);
}
