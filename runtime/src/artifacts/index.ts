export * from './artifact-store';
export * from './local-store';
