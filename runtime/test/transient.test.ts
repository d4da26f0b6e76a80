import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitOutcomeUnknownError, isTransientError, retryWithBackoff } from '../src/store';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('lost or refused connections are transient; errors of the statement itself are not', () => {
  for (const code of ['57P01', '57P03', '08006', 'ECONNRESET', 'ECONNREFUSED']) assert.ok(isTransientError(pgError(code)), code);
  assert.ok(isTransientError(new Error('Connection terminated unexpectedly')));
  assert.ok(isTransientError(new CommitOutcomeUnknownError(pgError('57P01'))));
  // TypeORM's QueryFailedError keeps the driver's error; Node's dual-stack connect throws an AggregateError.
  assert.ok(isTransientError(Object.assign(new Error('query failed'), { driverError: pgError('57P01') })));
  assert.ok(isTransientError(new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')])));
  for (const code of ['23505', '40P01', '22P02', '42P01']) assert.ok(!isTransientError(pgError(code)), code);
  assert.ok(!isTransientError(new Error('insufficient credits')));
  assert.ok(!isTransientError(undefined));
});

test('retryWithBackoff repeats transient failures, stops at the first other error and within its budget', async () => {
  let calls = 0;
  assert.equal(await retryWithBackoff(async () => (++calls < 3 ? Promise.reject(pgError('57P01')) : 'ok'), { budgetMs: 10_000, initialDelayMs: 1 }), 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(retryWithBackoff(async () => (++calls, Promise.reject(pgError('23505'))), { budgetMs: 10_000, initialDelayMs: 1 }), { code: '23505' });
  assert.equal(calls, 1, 'a unique violation is not retried');
  calls = 0;
  await assert.rejects(retryWithBackoff(async () => (++calls, Promise.reject(pgError('57P03'))), { budgetMs: 50, initialDelayMs: 20, maxDelayMs: 20 }), { code: '57P03' });
  assert.ok(calls >= 2 && calls <= 6, `gave up once the budget was spent (${calls} calls)`);
});
