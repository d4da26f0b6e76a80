export * from './graph';
export * from './contract';
export * from './scheduler';
