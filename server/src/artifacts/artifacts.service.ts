import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../db/infra.module';

/** Reads the artifacts table (the run store is its only writer). */
@Injectable()
export class ArtifactsService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * The type of an artifact the tenant owns (a run's, or a photo it uploaded: a graph's pinned test
   * photo is shown before any run used it); null when it owns none with this hash.
   */
  async mimeOf(tenantId: string, hash: string): Promise<string | null> {
    const row = (
      await this.pool.query(
        `SELECT mime FROM artifacts WHERE tenant_id = $1 AND hash = $2
         UNION ALL SELECT mime FROM uploads WHERE tenant_id = $1 AND hash = $2 LIMIT 1`,
        [tenantId, hash],
      )
    ).rows[0];
    return row?.mime ?? null;
  }
}
