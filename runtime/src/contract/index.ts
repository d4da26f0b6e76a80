/** The node contract: what every node file implements and what hosts (CLI, workers) provide. */
export * from './values';
export * from './context';
export * from './define-node';
export * from './cost';
