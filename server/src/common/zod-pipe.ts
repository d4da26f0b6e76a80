import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import { clip } from './errors';

/** Validates a request body or query with zod; the 400 lists the issues with their paths. */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T>) {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    // Paths hold user-chosen keys: each issue is clipped, and a body with thousands of them lists the first 20.
    const issues = result.error.issues.slice(0, 20).map((i) => clip(`${i.path.join('.') || 'body'}: ${i.message}`, 200));
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: issues.join('; '), issues });
  }
}
