/** Test helpers other packages may use: synthetic product photos, a node harness, tiny ONNX models (a matte, a CLIP), Replicate and Cog stand-ins. */
export * from './synthetic-product';
export * from './node-harness';
export * from './segmentation-quality';
export * from './tiny-onnx-model';
export * from './tiny-clip';
export * from './dark-product-scene';
export { iou, rawOf, maskOf, rejectsPermanent } from './support';
export * from './replicate-stand-in';
export * from './cog-stand-in';
export { signReplicateWebhook } from '../providers/replicate-webhook';
export * from './scene-backdrops';
export * from './textured-product';
export { makeZip, zipNames, type ZipEntryInput } from './zip';
export * from './real-photos';
