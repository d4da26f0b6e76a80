/** Node execution: the host that takes node jobs from the resource queues and runs them (CPU workers and the GPU host). */
export * from './worker-host';
export * from './node-context';
export * from './worker-process';
export * from './timeout';
export * from './semaphore';
export * from './execution-slots';
export * from './cost-meter';
export * from './health-server';
export * from './node-log-tap';
