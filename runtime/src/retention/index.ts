export * from './policy';
export * from './live-set';
export * from './claims';
export * from './artifact-collector';
export * from './gc-schedule';
