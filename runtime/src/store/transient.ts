/**
 * Connection-level failures of PostgreSQL (a restart, a failover, an admin or idle kill): they say
 * nothing about the statement, so an operation that is safe to repeat may simply be tried again.
 */
const TRANSIENT_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '53300', // too_many_connections (reconnect storms after a restart)
]);

const TRANSIENT_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** node-postgres reports a lost socket by message only. */
const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection is closed', // ioredis while Redis restarts
];

/**
 * A COMMIT whose answer never arrived: the transaction may or may not have been applied, so only an
 * operation that is idempotent on its own may repeat it (see RunCoordinator and the README).
 */
export class CommitOutcomeUnknownError extends Error {
  readonly code = 'SF_COMMIT_UNKNOWN';
  constructor(cause: unknown) {
    super(`the database connection was lost during COMMIT: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** True for a lost or refused connection (PostgreSQL or Redis); never for an error of the statement itself. */
export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (err instanceof CommitOutcomeUnknownError) return true;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (TRANSIENT_SQLSTATES.has(e.code) || TRANSIENT_ERRNOS.has(e.code))) return true;
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.some((m) => (e.message as string).startsWith(m))) return true;
  // TypeORM's QueryFailedError wraps the driver's error; Node's AggregateError (dual-stack connect) lists several.
  if (e.driverError && e.driverError !== err && isTransientError(e.driverError)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isTransientError)) return true;
  return false;
}

export interface RetryOptions {
  /** Give up (rethrow the last error) once this much time has passed since the first try. */
  budgetMs: number;
  /** First backoff; doubles up to maxDelayMs, with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Which errors to retry; the default is isTransientError. */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Runs fn until it succeeds, retrying retryable errors with exponential backoff within a time budget. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const started = Date.now();
  const retryable = o.retryable ?? isTransientError;
  let delay = o.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      if (!retryable(err) || Date.now() - started + wait > o.budgetMs) throw err;
      o.onRetry?.(err, attempt, wait);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, o.maxDelayMs ?? 2000);
    }
  }
}
