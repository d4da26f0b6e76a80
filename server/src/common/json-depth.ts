import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * How deep any JSON a client sends may nest. Real documents (graphs, params) stay under 10 levels;
 * thousands of levels fit in a 30 KB body and overflow the stack in TypeORM's merge, structuredClone
 * and JSON.stringify, which answered 500.
 */
export const MAX_JSON_DEPTH = 64;

/** True when objects and arrays in `value` nest deeper than `max` (the value itself is level 1). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  // An explicit stack, not recursion, so the check cannot overflow on the input it guards against.
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > max) return true;
    for (const child of Array.isArray(item.value) ? item.value : Object.values(item.value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
    }
  }
  return false;
}

/** Express middleware for right after the JSON body parser: 400 before any handler sees a too-deep body. */
export function rejectDeepJson(max = MAX_JSON_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    // A raw body (webhooks) is bytes, not parsed JSON.
    next(!Buffer.isBuffer(req.body) && nestedDeeperThan(req.body, max) ? new BadRequestException(`the JSON body is nested deeper than ${max} levels`) : undefined);
  };
}
