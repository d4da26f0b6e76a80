import { HttpException, HttpStatus } from '@nestjs/common';
import type { GraphProblem } from '@studioflow/runtime/graph';

/** 422 with the validator's full problem list, so the editor can mark every offending node. */
export class GraphProblemsException extends HttpException {
  constructor(problems: GraphProblem[], message = 'the graph is invalid') {
    super({ statusCode: 422, error: 'Unprocessable Entity', message, problems }, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

/** 429 with `Retry-After: retryAfterS` (the client-errors filter writes the header). */
export class TooManyRequestsException extends HttpException {
  constructor(message: string, readonly retryAfterS: number) {
    super({ statusCode: 429, error: 'Too Many Requests', message, retryAfterS }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/**
 * A user-supplied value for an error message, in double quotes and cut to `max` characters with "…",
 * so a 100 KB id or key is never echoed back in full (nor written to the logs).
 */
export function quote(value: unknown, max = 100): string {
  return `"${clip(typeof value === 'string' ? value : String(value), max)}"`;
}

/** `text` cut to `max` characters with "…" (never leaving half of a surrogate pair). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** A byte count in binary megabytes for messages: 2097152 → "2 MB", 1572864 → "1.5 MB". */
export function megabytes(bytes: number): string {
  return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
