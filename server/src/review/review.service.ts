import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool } from 'pg';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import type { Principal } from '../auth/access-policy';
import { isUuid, quote } from '../common/errors';
import { PG_POOL } from '../db/infra.module';
import { ShootsService } from '../shoots/shoots.service';

export interface ReviewDecision {
  decision: 'approve' | 'reject' | 'retry';
  note?: string;
  rerunFrom?: string;
  params?: Record<string, unknown>;
}

/** Runs parked at a review node, and the decisions that resume them. */
@Injectable()
export class ReviewService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly coordinator: RunCoordinator,
    private readonly shoots: ShootsService,
  ) {}

  /** Nodes of the tenant awaiting a decision, oldest run first. */
  async list(p: Principal) {
    const res = await this.pool.query(
      `SELECT n.run_id AS "runId", n.node_id AS "nodeId", n.generation, r.template_id AS "templateId", n.queued_at AS "since"
       FROM node_runs n JOIN runs r ON r.id = n.run_id
       WHERE n.tenant_id = $1 AND n.state = 'awaiting_review' ORDER BY r.created_at LIMIT 200`,
      [p.tenantId],
    );
    return res.rows;
  }

  async decide(p: Principal, runId: string, nodeId: string, body: ReviewDecision) {
    const row = isUuid(runId)
      ? (
          await this.pool.query(
            `SELECT n.generation, n.state, r.plan->'nodes'->$2->'upstream'->>0 AS upstream
             FROM node_runs n JOIN runs r ON r.id = n.run_id WHERE n.run_id = $1 AND n.node_id = $2 AND n.tenant_id = $3`,
            [runId, nodeId, p.tenantId],
          )
        ).rows[0]
      : undefined;
    if (!row) throw new NotFoundException(`no node ${quote(nodeId)} in run ${quote(runId)}`);
    if (row.state !== 'awaiting_review') throw new ConflictException(`node ${quote(nodeId)} is ${row.state}, not awaiting review`);
    if (body.decision === 'retry' && body.params) {
      // The same check a replay gets: the retried node's schema, over its current params.
      await this.shoots.checkNodeParams(runId, body.rerunFrom ?? row.upstream ?? nodeId, body.params, { keepOverrides: true });
    }
    const result = await this.coordinator.applyDirect([
      { runId, event: { kind: 'review_decided', nodeId, generation: row.generation, ...body } },
    ]);
    if (result.notices.length === 0) throw new ConflictException('the decision changed nothing (was it already decided, or is rerunFrom not upstream?)');
    return { ok: true, jobs: result.jobs.length };
  }
}
