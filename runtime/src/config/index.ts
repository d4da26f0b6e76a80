export * from './service-env';
export * from './worker-process';
