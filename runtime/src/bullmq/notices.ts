import type { Redis } from 'ioredis';
import type { RunNotice } from '../store';
import { controlChannel, eventsChannel } from './connection';

type AbortItem = { runId: string; nodeId: string; generation: number };

/** How long a run's event counter outlives its last event: far beyond any run or open editor. */
const RUN_SEQ_TTL_S = 7 * 24 * 3600;

/** The Redis counter of a run's events (same hash tag as the prefix, so one script may touch them all). */
export function runSeqKey(prefix: string, runId: string): string {
  return `${prefix}:runseq:${runId}`;
}

/** The seq of the newest event published for a run (0: none yet). Read before a snapshot, it is the seq the snapshot reflects. */
export async function readRunSeq(redis: Redis, prefix: string, runId: string): Promise<number> {
  return Number((await redis.get(runSeqKey(prefix, runId))) ?? 0);
}

/**
 * Numbers each notice by its run's counter and publishes the batch, in one script: Redis runs it
 * atomically, so seq order is publication order whichever process published. Each notice arrives
 * as its JSON text (an object) and gets `"seq":n,` spliced in front of its first field, so the
 * payload is never re-encoded by Lua's cjson (which would turn `[]` into `{}`).
 */
const PUBLISH_NUMBERED = `
local parts = {}
local touched = {}
for i = 1, #KEYS do
  local seq = redis.call('INCR', KEYS[i])
  if not touched[KEYS[i]] then
    touched[KEYS[i]] = true
    redis.call('EXPIRE', KEYS[i], ARGV[1])
  end
  parts[i] = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 2], 2)
end
redis.call('PUBLISH', ARGV[2], '[' .. table.concat(parts, ',') .. ']')
return #parts`;

type NumberingRedis = Redis & { publishNumbered(keyCount: number, ...args: Array<string | number>): Promise<number> };

/**
 * Publishes run notices on Redis pub/sub for the Socket.IO gateway; best effort, the DB is the truth.
 * Notices are buffered and sent once per event-loop turn as one message holding a JSON array: a
 * PUBLISH per notice cost a fifth of a busy worker's CPU.
 */
export class NoticePublisher {
  private notices: RunNotice[] = [];
  private aborts: AbortItem[] = [];
  private scheduled = false;

  private readonly numbering: NumberingRedis;

  constructor(private readonly redis: Redis, private readonly prefix: string) {
    if (!('publishNumbered' in redis)) redis.defineCommand('publishNumbered', { lua: PUBLISH_NUMBERED });
    this.numbering = redis as NumberingRedis;
  }

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
    if (notices.length) {
      const keys = notices.map((n) => runSeqKey(this.prefix, n.runId));
      const bodies = notices.map(({ seq: _unnumbered, ...n }) => JSON.stringify(n));
      this.numbering.publishNumbered(keys.length, ...keys, RUN_SEQ_TTL_S, eventsChannel(this.prefix), ...bodies).catch(() => undefined);
    }
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
