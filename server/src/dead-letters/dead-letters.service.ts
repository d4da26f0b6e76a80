import { ConflictException, HttpException, HttpStatus, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Pool } from 'pg';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { InsufficientCreditsError } from '@studioflow/runtime/store';
import type { Principal } from '../auth/access-policy';
import { PG_POOL } from '../db/infra.module';

/** Runs whose node exhausted its retries: the tenant's open letters, re-drive and discard. */
@Injectable()
export class DeadLettersService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool, private readonly coordinator: RunCoordinator) {}

  async list(p: Principal) {
    const res = await this.pool.query(
      `SELECT id::int, run_id AS "runId", node_id AS "nodeId", node_type AS "nodeType", error, attempts, status, created_at AS "createdAt"
       FROM dead_letters WHERE tenant_id = $1 AND status = 'open' ORDER BY created_at DESC LIMIT 500`,
      [p.tenantId],
    );
    return res.rows;
  }

  /** Resumes the run from its failed node (a new billing round: 402 when the balance cannot pay it). */
  async redrive(p: Principal, id: number) {
    const letter = await this.open(p, id);
    try {
      const result = await this.coordinator.applyDirect([{ runId: letter.run_id, event: { kind: 'redrive', reason: `re-drive of dead letter ${id}` } }]);
      if (result.notices.length === 0) throw new ConflictException('the run is no longer failed');
    } catch (err) {
      if (err instanceof InsufficientCreditsError) throw new HttpException(err.message, HttpStatus.PAYMENT_REQUIRED);
      throw err;
    }
    await this.pool.query(`UPDATE dead_letters SET status = 'redriven', resolved_at = now() WHERE id = $1`, [id]);
    return { id, runId: letter.run_id, status: 'redriven' };
  }

  async discard(p: Principal, id: number) {
    await this.open(p, id);
    await this.pool.query(`UPDATE dead_letters SET status = 'discarded', resolved_at = now() WHERE id = $1`, [id]);
    return { id, status: 'discarded' };
  }

  private async open(p: Principal, id: number): Promise<{ run_id: string }> {
    const row = (await this.pool.query(`SELECT run_id, status FROM dead_letters WHERE id = $1 AND tenant_id = $2`, [id, p.tenantId])).rows[0];
    if (!row) throw new NotFoundException(`dead letter ${id} not found`);
    if (row.status !== 'open') throw new ConflictException(`dead letter ${id} is already ${row.status}`);
    return row;
  }
}
