export * from './connection';
export * from './queues';
export * from './notices';
export * from './batcher';
export * from './coordinator';
