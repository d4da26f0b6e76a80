/** Runs work with a deadline: on expiry the signal is aborted (so the node stops) and we reject. */
export async function runWithTimeout<T>(work: () => Promise<T>, timeoutMs: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason ?? new Error('aborted')), { once: true });
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
