import type { Redis } from 'ioredis';
import { eventsChannel, parseBatch } from '@studioflow/runtime/bullmq';

/** The states a run ends in. */
export const TERMINAL_RUN_STATES = ['completed', 'failed', 'cancelled'];

/**
 * Calls the waiter of each run that ends, as the runtime announces it: the run.* notice on the
 * events channel, published after the commit.
 */
export async function listenForRunEnds(sub: Redis, prefix: string, waiters: ReadonlyMap<string, (status: string) => void>): Promise<void> {
  sub.on('message', (_channel, message: string) => {
    if (!message.includes('"type":"run.')) return;
    for (const n of parseBatch<{ type: string; runId: string }>(message)) {
      const status = n.type.startsWith('run.') ? n.type.slice(4) : '';
      if (TERMINAL_RUN_STATES.includes(status)) waiters.get(n.runId)?.(status);
    }
  });
  await sub.subscribe(eventsChannel(prefix));
}
