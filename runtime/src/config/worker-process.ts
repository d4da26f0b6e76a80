/**
 * How a worker process (CPU worker, GPU runtime) is launched, in one place for `npm start`, the
 * tests and the bench. Image jobs keep the main thread busy and allocate large pixel buffers:
 * - two malloc arenas: libvips threads otherwise each grow their own, and RSS creeps up per job;
 * - single-threaded GC: on a loaded core the concurrent GC helpers only add coordination (the
 *   bench measured 30-40 ms less CPU per 12 MP job).
 * STUDIOFLOW_WORKER_NODE_FLAGS (space-separated) replaces the Node flags.
 */
export function workerProcessLaunch(env: NodeJS.ProcessEnv = process.env): { execArgv: string[]; env: Record<string, string> } {
  const flags = env.STUDIOFLOW_WORKER_NODE_FLAGS;
  return {
    execArgv: flags !== undefined ? flags.split(/\s+/).filter(Boolean) : ['--single-threaded-gc'],
    env: { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' },
  };
}
