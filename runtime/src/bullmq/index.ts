export * from './connection';
export * from './queues';
export * from './notices';
export * from './batcher';
export * from './coordinator';
export * from './worker-host';
export * from './timeout';
export * from './worker-process';
