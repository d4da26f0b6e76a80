import type { NodeLogger } from '../contract';
import type { NodeLogLine } from '../graph';

/** Limits of what one node run's log lines cost: a node logging in a tight loop must not flood sockets or the database. */
export interface NodeLogLimits {
  /** Characters of one line kept (the rest is cut, marked with "…"). */
  maxLineChars: number;
  /** Lines of one node run kept for the run; later ones are counted and summed up in one last line. */
  maxKept: number;
  /** Lines streamed live per second (a token bucket of this size, refilled continuously). */
  livePerSecond: number;
}

export const DEFAULT_NODE_LOG_LIMITS: NodeLogLimits = { maxLineChars: 500, maxKept: 200, livePerSecond: 10 };

/**
 * Wraps a node run's logger: every line still goes to the process log, and is also kept (up to a
 * limit, for the run's debug panel) and streamed live (rate-limited) through `publish`.
 */
export class NodeLogTap {
  readonly logger: NodeLogger;
  private readonly kept: NodeLogLine[] = [];
  private notKept = 0;
  private tokens: number;
  private refilledAt = Date.now();

  constructor(
    base: NodeLogger,
    private readonly attempt: number,
    private readonly publish: (line: NodeLogLine) => void,
    private readonly limits: NodeLogLimits = DEFAULT_NODE_LOG_LIMITS,
  ) {
    this.tokens = limits.livePerSecond;
    const tap = (level: NodeLogLine['level']) => (msg: string, extra?: Record<string, unknown>) => {
      base[level](msg, extra);
      this.add(level, msg, extra);
    };
    this.logger = { info: tap('info'), warn: tap('warn'), error: tap('error') };
  }

  /** The lines to keep for the run, with a closing line naming how many were left out. */
  lines(): NodeLogLine[] {
    if (this.notKept === 0) return [...this.kept];
    return [...this.kept, { attempt: this.attempt, level: 'warn', message: `… ${this.notKept} more lines not kept`, at: new Date().toISOString() }];
  }

  private add(level: NodeLogLine['level'], msg: string, extra?: Record<string, unknown>): void {
    if (this.kept.length >= this.limits.maxKept) {
      this.notKept++;
      return;
    }
    const line: NodeLogLine = { attempt: this.attempt, level, message: truncate(format(msg, extra), this.limits.maxLineChars), at: new Date().toISOString() };
    this.kept.push(line);
    const now = Date.now();
    this.tokens = Math.min(this.limits.livePerSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.livePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return; // kept, but not streamed: the panel reads the kept lines when the run ends
    this.tokens -= 1;
    this.publish(line);
  }
}

function format(msg: string, extra?: Record<string, unknown>): string {
  if (!extra || Object.keys(extra).length === 0) return msg;
  try {
    return `${msg} ${JSON.stringify(extra)}`;
  } catch {
    return msg;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
