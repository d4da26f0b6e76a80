import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import type { ArtifactRef, NodeCatalog } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { startRun } from '@studioflow/runtime/runs';
import { GraphInvalidError, planAdmission } from '@studioflow/runtime/scheduler';
import { InsufficientCreditsError } from '@studioflow/runtime/store';
import { clip } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { CATALOG, PG_POOL } from '../db/infra.module';

/**
 * The advisory lock of batch admission: one API process admits at a time, and a cancel waits for a
 * round in progress to end (see BatchesService.cancel). The number is arbitrary and fixed.
 */
export const ADMISSION_LOCK = 7_301_300;

/** Admissions in one round at most: a round stays short, and the next follows at once when it was full. */
const MAX_PER_ROUND = 64;

interface GraphVersion {
  id: string;
  graphId: string;
  version: number;
  doc: GraphDoc;
}

interface WaitingRow {
  tenantId: string;
  batchId: string;
  ordinal: number;
  runId: string;
  userId: string | null;
  templateId: string;
  slug: string;
  graphVersionId: string;
  priceCredits: number;
  params: Record<string, unknown>;
  upload: ArtifactRef;
}

/**
 * Turns waiting batch items into shoots, with back-pressure and fairly across tenants: a tenant with
 * STUDIOFLOW_TENANT_INFLIGHT runs queued or running gets no more until some finish, and tenants take
 * turns (scheduler/fairness.ts planAdmission). Driven from PostgreSQL alone: it survives an API
 * restart, and several API processes take turns under an advisory lock; an item's run id is fixed
 * before it is admitted, so even a repeated admission could not start (or charge) it twice.
 */
@Injectable()
export class BatchAdmitter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('batch-admission');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    private readonly coordinator: RunCoordinator,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.config.batches.admitEveryMs);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs an admission round soon; rounds never overlap in this process. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          // A full round means more may fit: go on at once rather than at the next tick.
          if ((await this.admitRound()) >= MAX_PER_ROUND) this.again = true;
        } catch (err) {
          this.log.warn(`batch admission round failed: ${(err as Error).message}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
  }

  /** One round: returns how many items it admitted or refused. */
  async admitRound(): Promise<number> {
    const anyWaiting = await this.pool.query(`SELECT 1 FROM batch_items WHERE state = 'waiting' LIMIT 1`);
    if (anyWaiting.rowCount === 0) return 0;
    const c = await this.pool.connect();
    try {
      const { ok } = (await c.query(`SELECT pg_try_advisory_lock($1) AS ok`, [ADMISSION_LOCK])).rows[0];
      if (!ok) return 0; // another API process is admitting
      try {
        // Items whose run exists were admitted by a round that ended before recording it.
        await c.query(
          `UPDATE batch_items bi SET state = 'admitted', admitted_at = now() FROM runs r WHERE r.id = bi.run_id AND bi.state = 'waiting'`,
        );
        const limit = this.config.batches.tenantInflight;
        const waiting: WaitingRow[] = (
          await c.query(
            `SELECT x.* FROM (
               SELECT bi.tenant_id AS "tenantId", bi.batch_id AS "batchId", bi.ordinal, bi.run_id AS "runId", b.user_id AS "userId",
                      b.template_id AS "templateId", t.slug, b.graph_version_id AS "graphVersionId", b.price_credits AS "priceCredits",
                      bi.params, bi.upload,
                      row_number() OVER (PARTITION BY bi.tenant_id ORDER BY b.created_at, b.id, bi.ordinal) AS turn
               FROM batch_items bi JOIN batches b ON b.id = bi.batch_id JOIN templates t ON t.id = b.template_id
               WHERE bi.state = 'waiting' AND b.status = 'active') x
             WHERE x.turn <= $1 ORDER BY x."tenantId", x.turn`,
            [limit],
          )
        ).rows;
        if (waiting.length === 0) return 0;
        const inflight = new Map<string, number>(
          (
            await c.query(
              `SELECT tenant_id, count(*)::int AS n FROM runs WHERE status IN ('queued', 'running') AND tenant_id = ANY($1::uuid[]) GROUP BY tenant_id`,
              [[...new Set(waiting.map((w) => w.tenantId))]],
            )
          ).rows.map((r) => [r.tenant_id, r.n]),
        );
        const chosen = planAdmission({ inflight, waiting, perTenantLimit: limit, maxAdmissions: MAX_PER_ROUND });
        const versions = await this.versions(c, chosen);
        const admitted: WaitingRow[] = [];
        const refused: Array<{ item: WaitingRow; error: string }> = [];
        for (const item of chosen) {
          const error = await this.admit(item, versions.get(item.graphVersionId)!);
          if (error) refused.push({ item, error });
          else admitted.push(item);
        }
        await c.query(
          `UPDATE batch_items bi SET state = 'admitted', admitted_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS a(batch_id uuid, ordinal int) WHERE bi.batch_id = a.batch_id AND bi.ordinal = a.ordinal AND bi.state = 'waiting'`,
          [JSON.stringify(admitted.map((a) => ({ batch_id: a.batchId, ordinal: a.ordinal })))],
        );
        await c.query(
          `UPDATE batch_items bi SET state = 'rejected', error = a.error
           FROM jsonb_to_recordset($1::jsonb) AS a(batch_id uuid, ordinal int, error text) WHERE bi.batch_id = a.batch_id AND bi.ordinal = a.ordinal AND bi.state = 'waiting'`,
          [JSON.stringify(refused.map((r) => ({ batch_id: r.item.batchId, ordinal: r.item.ordinal, error: r.error })))],
        );
        return chosen.length;
      } finally {
        await c.query(`SELECT pg_advisory_unlock($1)`, [ADMISSION_LOCK]);
      }
    } finally {
      c.release();
    }
  }

  /** Starts the item's shoot (charging it); answers why it cannot start, or undefined when it started. */
  private async admit(item: WaitingRow, version: GraphVersion): Promise<string | undefined> {
    try {
      await startRun(this.coordinator, this.catalog.descriptors, {
        runId: item.runId,
        tenantId: item.tenantId,
        userId: item.userId,
        kind: 'shoot',
        version,
        template: { id: item.templateId, slug: item.slug },
        params: item.params,
        materialize: 'consumed',
        place: this.catalog.place,
        seeds: { upload: item.upload },
        priceCredits: item.priceCredits,
      });
      return undefined;
    } catch (err) {
      if (err instanceof InsufficientCreditsError || err instanceof GraphInvalidError) return clip(err.message, 500);
      // Its run exists: admitted before, by a round whose record of it was lost.
      if ((err as { constraint?: string }).constraint === 'runs_pkey') return undefined;
      throw err;
    }
  }

  private async versions(c: PoolClient, items: WaitingRow[]): Promise<Map<string, GraphVersion>> {
    const ids = [...new Set(items.map((i) => i.graphVersionId))];
    const rows = (await c.query(`SELECT id, graph_id, version, doc FROM graph_versions WHERE id = ANY($1::uuid[])`, [ids])).rows;
    return new Map(rows.map((r) => [r.id, { id: r.id, graphId: r.graph_id, version: r.version, doc: r.doc }]));
  }
}
