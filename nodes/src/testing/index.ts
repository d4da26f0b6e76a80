/** Test helpers other packages may use: synthetic product photos, a node harness, tiny ONNX models, a Replicate stand-in. */
export * from './synthetic-product';
export * from './node-harness';
export * from './segmentation-quality';
export * from './tiny-onnx-model';
export * from './dark-product-scene';
export { iou, rawOf, maskOf, rejectsPermanent } from './support';
export * from './replicate-stand-in';
export * from './scene-backdrops';
export * from './textured-product';
