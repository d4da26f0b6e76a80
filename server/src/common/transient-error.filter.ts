import { Catch, Logger, type ArgumentsHost } from '@nestjs/common';
import type { Response } from 'express';
import { isTransientError } from '@studioflow/runtime/store';
import { ClientErrorsFilter } from './client-errors.filter';

/** Seconds a client should wait before repeating a request that met a database outage. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * A lost or refused database connection (PostgreSQL restarting, failing over, an admin kill) is not
 * the client's fault and not a bug: answer 503 with Retry-After instead of 500. Operations that were
 * safe to repeat were already retried below (the run store); what reaches here either ran out of
 * that budget or could not be repeated blindly (a COMMIT whose outcome is unknown: POST /api/shoots
 * with an Idempotency-Key is safe to resend). Everything else goes on to the client-error handling
 * (Nest runs one catch-all filter per exception, so this one extends it rather than sitting beside it).
 */
@Catch()
export class TransientErrorFilter extends ClientErrorsFilter {
  private readonly databaseLog = new Logger('database');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http' || !isTransientError(exception)) return super.catch(exception, host);
    this.databaseLog.warn(`answering 503: ${exception instanceof Error ? exception.message : String(exception)}`);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    res
      .status(503)
      .setHeader('Retry-After', String(RETRY_AFTER_SECONDS))
      .json({ statusCode: 503, error: 'Service Unavailable', message: 'the database is unavailable; retry shortly' });
  }
}
