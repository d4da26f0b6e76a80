export * from './plan-run';
export * from './start-run';
