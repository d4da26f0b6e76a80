import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { readRunSeq } from '@studioflow/runtime/bullmq';
import type { RunLogEntry, RunSnapshotView } from '@studioflow/runtime/graph';
import { readNodeLogs } from '@studioflow/runtime/store';
import type { Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL, REDIS } from '../db/infra.module';
import { ShootsService } from './shoots.service';

/** What the run view reads beside the events: a snapshot numbered like them, and the node runs' kept log lines. */
@Injectable()
export class RunEventsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly shoots: ShootsService,
  ) {}

  /**
   * A run's snapshot and the seq it reflects. The counter is read first: every event up to it was
   * published after its transaction committed, so the rows read next hold at least that much (maybe
   * more, which later events repeat). A client applies the snapshot only where it holds nothing newer.
   */
  async snapshot(p: Principal, runId: string): Promise<RunSnapshotView> {
    const seq = await readRunSeq(this.redis, this.config.queuePrefix, runId).catch(() => 0);
    return { ...(await this.shoots.get(p, runId)), seq };
  }

  /** The lines the run's node runs logged, oldest first; another tenant's run is not found (404). */
  async logs(p: Principal, runId: string, nodeId?: string): Promise<RunLogEntry[]> {
    await this.shoots.get(p, runId);
    return readNodeLogs(this.pool, runId, nodeId);
  }
}
