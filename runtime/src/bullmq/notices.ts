import type { Redis } from 'ioredis';
import type { RunNotice } from '../store';
import { controlChannel, eventsChannel } from './connection';

/** Publishes run notices on Redis pub/sub for the Socket.IO gateway; best effort, the DB is the truth. */
export class NoticePublisher {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  publish(notices: readonly RunNotice[]): void {
    if (notices.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const n of notices) pipe.publish(eventsChannel(this.prefix), JSON.stringify(n));
    pipe.exec().catch(() => undefined);
  }

  /** Tells every worker to abort a node's active work (cancel, fail-fast). */
  abort(items: ReadonlyArray<{ runId: string; nodeId: string; generation: number }>): void {
    if (items.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const a of items) pipe.publish(controlChannel(this.prefix), JSON.stringify({ kind: 'abort', ...a }));
    pipe.exec().catch(() => undefined);
  }
}
