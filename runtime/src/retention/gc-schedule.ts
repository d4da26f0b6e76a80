import type { ArtifactCollector, GcPassReport } from './artifact-collector';

export interface ArtifactGcScheduleOptions {
  intervalMs: number;
  log: { info(msg: string, extra?: Record<string, unknown>): void; warn(msg: string, extra?: Record<string, unknown>): void };
}

/**
 * Runs a pass every `intervalMs` (the first one interval after start). Every process may schedule
 * passes: the collector's advisory lock lets one sweep at a time and the others skip. Returns stop.
 */
export function scheduleArtifactGc(collector: ArtifactCollector, options: ArtifactGcScheduleOptions): () => Promise<void> {
  if (options.intervalMs <= 0) return async () => undefined;
  let running: Promise<GcPassReport | null> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = collector
      .collect()
      .then((report) => {
        if (report) options.log.info('artifact gc pass', { ...report });
        return report;
      })
      .catch((err) => {
        options.log.warn('artifact gc pass failed', { error: err instanceof Error ? err.message : String(err) });
        return null;
      })
      .finally(() => (running = null));
  }, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
