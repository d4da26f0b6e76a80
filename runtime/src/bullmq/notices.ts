import type { Redis } from 'ioredis';
import type { RunNotice } from '../store';
import { controlChannel, eventsChannel } from './connection';

type AbortItem = { runId: string; nodeId: string; generation: number };

/**
 * Publishes run notices on Redis pub/sub for the Socket.IO gateway; best effort, the DB is the truth.
 * Notices are buffered and sent once per event-loop turn as one message holding a JSON array: a
 * PUBLISH per notice cost a fifth of a busy worker's CPU.
 */
export class NoticePublisher {
  private notices: RunNotice[] = [];
  private aborts: AbortItem[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  publish(notices: readonly RunNotice[]): void {
    if (notices.length === 0) return;
    this.notices.push(...notices);
    this.schedule();
  }

  /** Tells every worker to abort a node's active work (cancel, fail-fast, re-run). */
  abort(items: readonly AbortItem[]): void {
    if (items.length === 0) return;
    this.aborts.push(...items);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const notices = this.notices;
    const aborts = this.aborts;
    this.notices = [];
    this.aborts = [];
    if (notices.length) this.redis.publish(eventsChannel(this.prefix), JSON.stringify(notices)).catch(() => undefined);
    if (aborts.length) {
      this.redis.publish(controlChannel(this.prefix), JSON.stringify(aborts.map((a) => ({ kind: 'abort', ...a })))).catch(() => undefined);
    }
  }
}

/** Reads one pub/sub message: an array of items (or a single item from an older publisher). */
export function parseBatch<T>(message: string): T[] {
  const value = JSON.parse(message) as T | T[];
  return Array.isArray(value) ? value : [value];
}
