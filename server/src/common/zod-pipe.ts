import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { z, type ZodType } from 'zod';
import { clip } from './errors';

/** Validates a request body, query or path param with zod; the 400 lists the issues with their paths. */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  /** `what` names the value when an issue has no path of its own (a single path param). */
  constructor(
    private readonly schema: ZodType<T>,
    private readonly what = 'body',
  ) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    // Paths hold user-chosen keys: each issue is clipped, and a body with thousands of them lists the first 20.
    const issues = result.error.issues.slice(0, 20).map((i) => clip(`${i.path.join('.') || this.what}: ${i.message}`, 200));
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: issues.join('; '), issues });
  }
}

/** A whole number from a path or query string, 1..max; the default max is PostgreSQL's integer. */
export function positiveInt(max = 2_147_483_647) {
  return z.coerce.number().int().min(1).max(max);
}
