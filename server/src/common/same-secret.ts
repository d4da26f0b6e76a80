import { timingSafeEqual } from 'node:crypto';

/** Compares a presented secret with the expected one in constant time (no early exit on a mismatch). */
export function sameSecret(presented: string, expected: string): boolean {
  const x = Buffer.from(presented);
  const y = Buffer.from(expected);
  return x.length === y.length && timingSafeEqual(x, y);
}
