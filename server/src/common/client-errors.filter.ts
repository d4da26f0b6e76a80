import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, HttpException, Logger, PayloadTooLargeException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { clip, megabytes, TooManyRequestsException } from './errors';

/**
 * Every client error leaves as an HttpException with its own status and is logged at warn, one line,
 * no stack; anything else goes to Nest's handler (500, logged at error with the stack).
 *
 * Errors raised outside our handlers are not HttpExceptions: the body parser's 413 and the 404 of
 * `res.sendFile` come as http-errors objects, which Nest answers correctly but logs at error with a
 * stack (BaseExceptionFilter.handleUnknownError). A filter registered later for specific error types
 * is tried before this one.
 */
@Catch()
export class ClientErrorsFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const client = asClientError(exception);
    if (!client) return super.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request | undefined>();
    // The path only: a query string may carry an API key (?key=).
    this.log.warn(`${req?.method ?? '?'} ${clip(req?.path ?? '?', 200)} ${client.getStatus()} ${clip(messageOf(client), 300)}`);
    if (client instanceof TooManyRequestsException && host.getType() === 'http') {
      host.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(Math.max(1, Math.ceil(client.retryAfterS))));
    }
    super.catch(client, host);
  }
}

/** The exception as a 4xx HttpException, or undefined when it is not the client's fault. */
export function asClientError(exception: unknown): HttpException | undefined {
  if (exception instanceof HttpException) return exception.getStatus() < 500 ? exception : undefined;
  const err = exception as { status?: unknown; statusCode?: unknown; type?: unknown; limit?: unknown; message?: unknown; expose?: unknown } | null;
  const status = Number(err?.statusCode ?? err?.status);
  if (!(status >= 400 && status < 500)) return undefined;
  if (err!.type === 'entity.too.large' && typeof err!.limit === 'number') {
    return new PayloadTooLargeException(`the request body is larger than the ${megabytes(err!.limit)} limit`);
  }
  const message = err!.expose !== false && typeof err!.message === 'string' ? err!.message : STATUS_CODES[status];
  return new HttpException({ statusCode: status, error: STATUS_CODES[status], message }, status);
}

function messageOf(e: HttpException): string {
  const body = e.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? e.message).replace(/\s+/g, ' ');
}
