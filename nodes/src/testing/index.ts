/** Test helpers other packages may use: synthetic product photos and a node harness. */
export * from './synthetic-product';
export * from './node-harness';
export * from './segmentation-quality';
