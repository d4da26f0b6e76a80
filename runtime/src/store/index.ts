export * from './types';
export * from './pg-run-store';
export * from './lru';
export * from './cache-key';
export * from './job-spec';
export * from './transient';
export * from './pg-pool';
export * from './node-logs';
