import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import type { ReviewAuditEntry, ReviewDecisionAnswer, ReviewDecisionBody, ReviewDetail, ReviewItem, RunStatus } from '@studioflow/runtime/graph';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import type { Principal } from '../auth/access-policy';
import { isUuid, quote } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { CATALOG, PG_POOL, REDIS } from '../db/infra.module';
import { ShootsService } from '../shoots/shoots.service';
import { publishReviewEvent } from './review-events';
import { ancestorsOf, defaultRerunFrom, effectiveParams, reviewItem, type ParkedRow, type RunNodeRow } from './review-items';

const QUEUE_LIMIT = 200;

/** Runs parked at a review node, the decisions that resume them, and the audit trail of those decisions. */
@Injectable()
export class ReviewService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly coordinator: RunCoordinator,
    private readonly shoots: ShootsService,
    private readonly urls: ArtifactUrls,
  ) {}

  /** The tenant's open reviews, the longest waiting first. */
  list(p: Principal): Promise<ReviewItem[]> {
    return this.openItems(p.tenantId);
  }

  /** One run's open reviews and its audit trail; another tenant's run (or none) answers 404. */
  async detail(p: Principal, runId: string): Promise<ReviewDetail> {
    const run = isUuid(runId)
      ? (
          await this.pool.query(
            `SELECT r.status, t.id AS template_id, t.slug, t.name FROM runs r LEFT JOIN templates t ON t.id = r.template_id
             WHERE r.id = $1 AND r.tenant_id = $2`,
            [runId, p.tenantId],
          )
        ).rows[0]
      : undefined;
    if (!run) throw new NotFoundException(`no run ${quote(runId)}`);
    const [open, audit] = await Promise.all([this.openItems(p.tenantId, runId), this.auditRows(p.tenantId, runId)]);
    return {
      runId,
      status: run.status as RunStatus,
      template: run.template_id ? { id: run.template_id, slug: run.slug, name: run.name } : null,
      open,
      audit,
    };
  }

  /** Every decision of the tenant, newest first (staff). */
  audit(p: Principal, limit = 200): Promise<ReviewAuditEntry[]> {
    return this.auditRows(p.tenantId, undefined, limit);
  }

  /**
   * Approve, reject (with a reason; the run fails and is refunded) or retry an upstream node with
   * checked params. The audit row is the claim: its key is the parked attempt (run, node,
   * generation), so of two reviewers deciding at once exactly one inserts it; the other gets 409.
   */
  async decide(p: Principal, runId: string, body: ReviewDecisionBody): Promise<ReviewDecisionAnswer> {
    const reason = body.reason?.trim() || null;
    if (body.decision === 'reject' && !reason) throw new BadRequestException('a rejection needs a reason (it is shown to the seller and kept in the audit trail)');
    if (body.decision !== 'retry' && (body.params || body.rerunFrom)) throw new BadRequestException('params and rerunFrom belong to a retry only');
    const parked = await this.parkedRows(p.tenantId, isUuid(runId) ? runId : null, body.nodeId);
    if (!parked.length) {
      const exists = isUuid(runId) && (await this.pool.query(`SELECT 1 FROM runs WHERE id = $1 AND tenant_id = $2`, [runId, p.tenantId])).rowCount;
      if (!exists) throw new NotFoundException(`no run ${quote(runId)}`);
      throw new ConflictException(`run ${runId} has no open review${body.nodeId ? ` at node ${quote(body.nodeId)}` : ''}: it was already decided`);
    }
    if (parked.length > 1) throw new UnprocessableEntityException(`run ${runId} has ${parked.length} open reviews: name one with nodeId (${parked.map((r) => r.node_id).join(', ')})`);
    const row = parked[0];
    const nodes = await this.runNodes([runId]);
    const runNodes = nodes.get(runId)!;
    let rerunFrom: string | null = null;
    let paramsBefore: Record<string, unknown> | null = null;
    let paramsAfter: Record<string, unknown> | null = null;
    if (body.decision === 'retry') {
      rerunFrom = body.rerunFrom ?? defaultRerunFrom(row.plan, row.node_id, effectiveParams(row.plan, runNodes, row.node_id));
      if (!rerunFrom || !ancestorsOf(row.plan, row.node_id).includes(rerunFrom)) {
        throw new UnprocessableEntityException(`rerunFrom must name a node upstream of ${quote(row.node_id)}${rerunFrom ? `, not ${quote(rerunFrom)}` : ''}`);
      }
      paramsBefore = effectiveParams(row.plan, runNodes, rerunFrom);
      if (body.params) await this.shoots.checkNodeParams(runId, rerunFrom, body.params, { keepOverrides: true });
      paramsAfter = { ...paramsBefore, ...(body.params ?? {}) };
    }
    const claim = await this.pool.query(
      `INSERT INTO review_decisions (tenant_id, run_id, node_id, generation, decision, reason, actor_user_id, actor_email, actor_role, rerun_from, params_before, params_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT email FROM users WHERE id = $7), $8, $9, $10, $11)
       ON CONFLICT (run_id, node_id, generation) DO NOTHING RETURNING id`,
      [p.tenantId, runId, row.node_id, row.generation, body.decision, reason, p.userId, p.role, rerunFrom, paramsBefore && JSON.stringify(paramsBefore), paramsAfter && JSON.stringify(paramsAfter)],
    );
    if (!claim.rowCount) throw new ConflictException(`the review of ${quote(row.node_id)} in run ${runId} was already decided by someone else`);
    const auditId = String(claim.rows[0].id);
    try {
      const result = await this.coordinator.applyDirect([
        {
          runId,
          event: {
            kind: 'review_decided',
            nodeId: row.node_id,
            generation: row.generation,
            decision: body.decision,
            ...(reason ? { note: reason } : {}),
            ...(rerunFrom ? { rerunFrom } : {}),
            ...(body.params ? { params: body.params } : {}),
          },
        },
      ]);
      // The run moved on meanwhile (cancelled, say): nothing was decided, so nothing is audited.
      if (result.notices.length === 0) throw new ConflictException(`the review of ${quote(row.node_id)} in run ${runId} is no longer open`);
    } catch (err) {
      await this.pool.query(`DELETE FROM review_decisions WHERE id = $1`, [auditId]);
      throw err;
    }
    publishReviewEvent(this.redis, this.config.queuePrefix, p.tenantId, 'review.decided', { runId, nodeId: row.node_id, decision: body.decision, by: p.userId });
    return { runId, nodeId: row.node_id, decision: body.decision, auditId };
  }

  private async openItems(tenantId: string, runId?: string): Promise<ReviewItem[]> {
    const rows = await this.parkedRows(tenantId, runId ?? null);
    if (!rows.length) return [];
    const nodes = await this.runNodes([...new Set(rows.map((r) => r.run_id))]);
    const now = Date.now();
    return rows.map((r) => reviewItem(r, nodes.get(r.run_id)!, this.catalog.descriptors, (hash) => this.urls.url(hash, tenantId, now), now));
  }

  private async parkedRows(tenantId: string, runId: string | null, nodeId?: string): Promise<ParkedRow[]> {
    const res = await this.pool.query<ParkedRow>(
      `SELECT n.run_id, n.node_id, n.node_type, n.generation, COALESCE(n.queued_at, r.created_at) AS since, r.tenant_id,
              r.plan, r.seed_inputs, t.id AS template_id, t.slug AS template_slug, t.name AS template_name
       FROM node_runs n JOIN runs r ON r.id = n.run_id LEFT JOIN templates t ON t.id = r.template_id
       WHERE n.tenant_id = $1 AND n.state = 'awaiting_review' AND ($2::uuid IS NULL OR n.run_id = $2) AND ($3::text IS NULL OR n.node_id = $3)
       ORDER BY since, r.created_at, n.node_id LIMIT ${QUEUE_LIMIT}`,
      [tenantId, runId, nodeId ?? null],
    );
    return res.rows;
  }

  private async runNodes(runIds: string[]): Promise<Map<string, Map<string, RunNodeRow>>> {
    const res = await this.pool.query<RunNodeRow & { run_id: string }>(
      `SELECT run_id, node_id, node_type, state, outputs, params_override FROM node_runs WHERE run_id = ANY($1::uuid[])`,
      [runIds],
    );
    const byRun = new Map<string, Map<string, RunNodeRow>>(runIds.map((id) => [id, new Map()]));
    for (const row of res.rows) byRun.get(row.run_id)!.set(row.node_id, row);
    return byRun;
  }

  private async auditRows(tenantId: string, runId?: string, limit = 200): Promise<ReviewAuditEntry[]> {
    const res = await this.pool.query(
      `SELECT d.id, d.run_id, d.node_id, d.generation, d.decision, d.reason, d.actor_user_id, d.actor_email, d.actor_role, d.rerun_from,
              d.params_before, d.params_after, d.decided_at, NULLIF(u.name, '') AS actor_name
       FROM review_decisions d LEFT JOIN users u ON u.id = d.actor_user_id
       WHERE d.tenant_id = $1 AND ($2::uuid IS NULL OR d.run_id = $2)
       ORDER BY d.decided_at ${runId ? 'ASC' : 'DESC'}, d.id ${runId ? 'ASC' : 'DESC'} LIMIT $3`,
      [tenantId, runId ?? null, Math.min(Math.max(1, limit), 1000)],
    );
    return res.rows.map((r) => ({
      id: String(r.id),
      runId: r.run_id,
      nodeId: r.node_id,
      generation: r.generation,
      decision: r.decision,
      reason: r.reason,
      actor: { userId: r.actor_user_id, name: r.actor_name ?? r.actor_email, email: r.actor_email, role: r.actor_role },
      decidedAt: (r.decided_at as Date).toISOString(),
      rerunFrom: r.rerun_from,
      paramsBefore: r.params_before,
      paramsAfter: r.params_after,
    }));
  }
}
