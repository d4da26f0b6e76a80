import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { hashTaggedPrefix, serviceEnv } from '@studioflow/runtime/config';
import { RedisCreateBudget } from './create-budget';

test('two processes share one create budget in Redis: the creates past the limit wait for the next window', async () => {
  const prefix = hashTaggedPrefix(`sftest-budget-${randomBytes(4).toString('hex')}`);
  // Two connections, as two worker processes would have.
  const [a, b] = [new IORedis(serviceEnv().redisUrl), new IORedis(serviceEnv().redisUrl)];
  try {
    const limit = { points: 3, durationS: 1 };
    const budgets = [new RedisCreateBudget(a, prefix, limit), new RedisCreateBudget(b, prefix, limit)];
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 5 }, (_, i) => budgets[i % 2].take().then(() => times.push(Date.now() - started))));
    times.sort((x, y) => x - y);
    // Three at once across both; the other two only in a later window.
    assert.ok(times[2] < 500, `the first three at once: ${times.join(', ')} ms`);
    assert.ok(times[3] >= 200 && times[4] >= 200, `the fourth and fifth waited for the window: ${times.join(', ')} ms`);
  } finally {
    const keys = await a.keys(`${prefix}:*`);
    if (keys.length) await a.del(...keys);
    a.disconnect();
    b.disconnect();
  }
});

test('a budget whose Redis cannot answer falls back to its own bucket instead of stopping creates', async () => {
  const gone = new IORedis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  gone.on('error', () => undefined);
  try {
    const budget = new RedisCreateBudget(gone, '{sftest-gone}', { points: 2, durationS: 60 });
    const started = Date.now();
    await budget.take();
    await budget.take();
    assert.ok(Date.now() - started < 2000, 'two creates within the local bucket went at once');
  } finally {
    gone.disconnect();
  }
});
