import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createScratchDatabase } from '@studioflow/migrations/testing';
import { createRedis } from '../src/bullmq';
import { serviceEnv } from '../src/config';
import { startWorkerHealthServer } from '../src/worker';

test('a worker\'s probes: live while it answers, ready while PostgreSQL and Redis answer, 503 naming the one that does not', async () => {
  const db = await createScratchDatabase('workerhealth');
  const pool = db.pool(1);
  const redis = createRedis({ url: serviceEnv().redisUrl, prefix: '{sftest-workerhealth}' });
  redis.on('error', () => undefined);
  const server = await startWorkerHealthServer(0, { redis, pool });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    await redis.ping();
    assert.equal((await get('/health/live')).status, 200);
    const ready = await get('/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.info.postgres.status, 'up');
    assert.equal(ready.body.info.redis.status, 'up');
    assert.equal((await get('/health/other')).status, 404);

    redis.disconnect();
    const noRedis = await get('/health/ready');
    assert.equal(noRedis.status, 503);
    assert.equal(noRedis.body.error.redis.status, 'down');
    assert.equal(noRedis.body.info.postgres.status, 'up');
    assert.equal((await get('/health/live')).status, 200, 'a dependency down is no reason to restart the worker');
  } finally {
    server.close();
    redis.disconnect();
    await pool.end();
    await db.drop();
  }
});
