import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Principal } from '../auth/access-policy';
import { PG_POOL } from '../db/infra.module';

export type CostGrouping = 'template' | 'day';

export interface CostQuery {
  groupBy: CostGrouping;
  from: Date;
  to: Date;
}

/** One group's sum: the template a run was started from (null: editor test runs) or its UTC day. */
export interface CostGroup {
  templateId?: string | null;
  templateSlug?: string | null;
  day?: string;
  runs: number;
  costUsd: number;
}

/** What the tenant's runs cost us (runs.cost_usd: every node execution, re-runs included), summed. */
@Injectable()
export class CostsService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async sums(p: Principal, q: CostQuery): Promise<{ groupBy: CostGrouping; from: string; to: string; totalUsd: number; groups: CostGroup[] }> {
    const range = [p.tenantId, q.from, q.to];
    const rows =
      q.groupBy === 'template'
        ? await this.pool.query(
            `SELECT r.template_id AS "templateId", t.slug AS "templateSlug", count(*)::int AS runs, sum(r.cost_usd)::float8 AS "costUsd"
             FROM runs r LEFT JOIN templates t ON t.id = r.template_id
             WHERE r.tenant_id = $1 AND r.created_at >= $2 AND r.created_at < $3
             GROUP BY r.template_id, t.slug ORDER BY "costUsd" DESC, t.slug`,
            range,
          )
        : await this.pool.query(
            `SELECT to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS runs, sum(r.cost_usd)::float8 AS "costUsd"
             FROM runs r WHERE r.tenant_id = $1 AND r.created_at >= $2 AND r.created_at < $3
             GROUP BY day ORDER BY day`,
            range,
          );
    const groups = rows.rows as CostGroup[];
    const totalUsd = Math.round(groups.reduce((sum, g) => sum + g.costUsd, 0) * 1e6) / 1e6;
    return { groupBy: q.groupBy, from: q.from.toISOString(), to: q.to.toISOString(), totalUsd, groups };
  }
}
