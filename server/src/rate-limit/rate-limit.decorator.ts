import { SetMetadata } from '@nestjs/common';

/**
 * Route classes with their own per-key budget (config `rateLimits`): `create` starts work or
 * changes state and costs the most, `read` answers from the database. A route without the
 * decorator is `read` for GET and HEAD and `write` otherwise.
 */
export type RateLimitClass = 'create' | 'read' | 'write';

export const RATE_LIMIT_CLASS = 'rate-limit-class';

export const RateLimit = (routeClass: RateLimitClass) => SetMetadata(RATE_LIMIT_CLASS, routeClass);
