import { Inject, Injectable, Logger, NotFoundException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { ArtifactCollector, scheduleArtifactGc, type GcDryRunReport, type GcPassReport } from '@studioflow/runtime/retention';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { isUuid, quote } from '../common/errors';
import { ARTIFACT_STORE, PG_POOL } from '../db/infra.module';
import type { TenantRetentionBody } from './retention.schemas';

/**
 * The artifact collector of this API process: a pass every ARTIFACT_GC_INTERVAL_MINUTES (every API
 * process schedules one; PostgreSQL's advisory lock lets one sweep at a time), and on request.
 */
@Injectable()
export class ArtifactGcService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly collector: ArtifactCollector;
  private stop: (() => Promise<void>) | null = null;
  private readonly log = new Logger('artifact-gc');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ARTIFACT_STORE) store: ArtifactStore,
  ) {
    this.collector = new ArtifactCollector(pool, store, config.retention);
  }

  onApplicationBootstrap(): void {
    this.stop = scheduleArtifactGc(this.collector, {
      intervalMs: this.config.retention.intervalMs,
      log: {
        info: (msg, extra) => this.log.log(`${msg} ${JSON.stringify(extra ?? {})}`),
        warn: (msg, extra) => this.log.warn(`${msg} ${JSON.stringify(extra ?? {})}`),
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop?.();
  }

  /** One pass now; null when another process is in one. */
  async collect(): Promise<GcPassReport | null> {
    const report = await this.collector.collect();
    if (report) this.log.log(`artifact gc pass (on request) ${JSON.stringify(report)}`);
    return report;
  }

  dryRun(): Promise<GcDryRunReport> {
    return this.collector.dryRun();
  }

  /** Stores a tenant's own retention; the next passes apply it (what is already deleted stays deleted). */
  async setTenantRetention(tenantId: string, body: TenantRetentionBody): Promise<TenantRetentionBody & { tenantId: string }> {
    const rows = isUuid(tenantId)
      ? (
          await this.pool.query(
            `UPDATE tenants SET upload_retention_days = $2, delivery_retention_days = $3 WHERE id = $1
             RETURNING id AS "tenantId", upload_retention_days AS "uploadRetentionDays", delivery_retention_days AS "deliveryRetentionDays"`,
            [tenantId, body.uploadRetentionDays, body.deliveryRetentionDays],
          )
        ).rows
      : [];
    if (!rows[0]) throw new NotFoundException(`tenant ${quote(tenantId)} not found`);
    return rows[0];
  }
}
