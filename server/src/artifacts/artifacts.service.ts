import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../db/infra.module';

/** Reads the artifacts table (the run store is its only writer). */
@Injectable()
export class ArtifactsService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** The type of an artifact the tenant owns; null when it owns none with this hash. */
  async mimeOf(tenantId: string, hash: string): Promise<string | null> {
    const row = (await this.pool.query(`SELECT mime FROM artifacts WHERE tenant_id = $1 AND hash = $2`, [tenantId, hash])).rows[0];
    return row?.mime ?? null;
  }
}
