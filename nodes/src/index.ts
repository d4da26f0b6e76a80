import { NodeCatalog, type NodeDefinition } from '@studioflow/runtime/contract';
import { deliverNode } from './deliver';
import { humanReviewNode } from './human-review';
import { inputImageNode } from './input-image';
import { segmentNode } from './segment';
import { studioCompositeNode } from './studio-composite';

export { deliverNode, humanReviewNode, inputImageNode, segmentNode, studioCompositeNode };
export { FRAME_SIZES, type FrameSize } from './studio-composite';
export { DEFAULT_MAX_PIXELS, maxInputPixels } from './image/decode';
export { STUDIOFLOW_XMP_NS, DIGITAL_SOURCE_TYPES, type DigitalSourceType } from './image/xmp';
export * from './testing';

/** Every node type this package provides, in catalog order. */
export const productNodes: readonly NodeDefinition<any>[] = [inputImageNode, segmentNode, studioCompositeNode, deliverNode, humanReviewNode];

export function createProductCatalog(): NodeCatalog {
  return new NodeCatalog(productNodes);
}
