import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { ARTIFACT_STORE, PG_POOL, REDIS } from '../db/infra.module';

/** A probe that cannot answer within this long counts as down: an orchestrator's probe must not hang on it. */
const CHECK_TIMEOUT_MS = 3000;

/** The same few bytes every time: content-addressed, so the store keeps one copy however often it is probed. */
const PROBE = Buffer.from('studioflow health probe\n');

/**
 * What the health endpoints check, each through the interface the API itself uses: the hot-path pg pool,
 * the shared Redis connection, the artifact store, and the BullMQ queues the API adds jobs to.
 * Answers carry no error text: the probes are public, and a driver's message can name hosts.
 */
@Injectable()
export class HealthChecks {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly coordinator: RunCoordinator,
  ) {}

  postgres(): Promise<HealthIndicatorResult> {
    return this.timed('postgres', async () => {
      await this.pool.query('SELECT 1');
    });
  }

  redisServer(): Promise<HealthIndicatorResult> {
    return this.timed('redis', async () => {
      // ioredis would queue the command while reconnecting: an offline client is down now, not later.
      if (this.redis.status !== 'ready') throw new Error('not connected');
      await this.redis.ping();
    });
  }

  /** A write and a read of a tiny artifact: after the first probe the write is only an existence check. */
  artifactStore(): Promise<HealthIndicatorResult> {
    return this.timed('artifactStore', async () => {
      const ref = await this.store.put(PROBE, { mime: 'text/plain' });
      if (!(await this.store.get(ref.hash)).equals(PROBE)) throw new Error('read back other bytes');
    });
  }

  /**
   * Live workers per queue (BullMQ lists the Redis connections its workers name after their queue, so a
   * killed worker drops out at once) and the jobs waiting for them. A queue with waiting jobs and no worker
   * is down: nothing will run them until a worker for it starts.
   */
  async workers(): Promise<HealthIndicatorResult> {
    const queues = Object.entries(this.coordinator.queues.all());
    const rows = await withTimeout(
      Promise.all(
        queues.map(async ([name, queue]) => {
          const [workers, counts] = await Promise.all([queue.getWorkersCount(), queue.getJobCounts('wait', 'prioritized', 'active', 'delayed')]);
          return [name, { workers, waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0 }] as const;
        }),
      ),
    ).catch(() => null);
    const check = this.health.check('workers');
    if (!rows) return check.down({ message: 'queues not readable' });
    const perQueue = Object.fromEntries(rows);
    const stranded = rows.filter(([, r]) => r.workers === 0 && r.waiting + r.delayed > 0).map(([name]) => name);
    return stranded.length ? check.down({ queues: perQueue, stranded }) : check.up({ queues: perQueue });
  }

  private async timed(key: string, probe: () => Promise<void>): Promise<HealthIndicatorResult> {
    const check = this.health.check(key);
    const startedAt = Date.now();
    try {
      await withTimeout(probe());
      return check.up({ ms: Date.now() - startedAt });
    } catch (err) {
      const timedOut = err instanceof ProbeTimeout;
      return check.down({ message: timedOut ? `no answer within ${CHECK_TIMEOUT_MS} ms` : 'unavailable' });
    }
  }
}

class ProbeTimeout extends Error {}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
