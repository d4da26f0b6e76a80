/** The pure scheduling core: no I/O, no Nest, no BullMQ, no pg. */
export * from './plan';
export * from './state';
export * from './events';
export * from './decide';
export * from './replay-plan';
export * from './retry-gate';
export * from './fairness';
