export * from './artifact-store';
export * from './local-store';
export * from './read-through-cache';
export * from './s3-store';
export * from './open-store';
