/** Browser-safe graph model: the editor imports exactly this code. No Node APIs here. */
export * from './ports';
export * from './types';
export * from './document-schema';
export * from './validate';
export * from './subflows';
export * from './check-graph';
export * from './bypass';
export * from './topology';
export * from './wire-types';
export * from './accounts';
export * from './batches';
export * from './shoot-views';
export * from './reviews';
export * from './template-lifecycle';
export * from './draft-runs';
export * from './run-event-order';
