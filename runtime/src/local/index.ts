export * from './local-runner';
