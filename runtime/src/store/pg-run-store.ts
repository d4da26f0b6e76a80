import type { Pool, PoolClient } from 'pg';
import { decide, initialSnapshot, type RunSnapshot, type NodeStatus, type RunPlan } from '../scheduler';
import type { ArtifactRef, PortValues, RunInfo } from '../contract';
import { WriteSet } from './decisions-to-writes';
import { InsufficientCreditsError, type ApplyResult, type NewRun, type RunDefinition, type RunEventItem } from './types';
import { LruCache } from './lru';

/**
 * The durable side of the scheduler. PostgreSQL is the source of truth: every event is applied
 * under the run's row lock, so concurrent completions of a fan-in see each other and the pure
 * scheduler dispatches the join node exactly once. Whole batches share one transaction.
 */
export class PgRunStore {
  private readonly definitions = new LruCache<string, RunDefinition>(20_000);

  constructor(readonly pool: Pool) {}

  /** Creates runs, charges their credits and dispatches their first nodes, all in one transaction. */
  async createRuns(runs: NewRun[]): Promise<ApplyResult> {
    return this.transaction(async (c) => {
      const needed = new Map<string, number>();
      for (const r of runs) needed.set(r.tenantId, (needed.get(r.tenantId) ?? 0) + r.priceCredits);
      for (const [tenantId, amount] of needed) {
        if (amount === 0) continue;
        const res = await c.query(
          `UPDATE tenants SET credit_balance = credit_balance - $2 WHERE id = $1 AND credit_balance >= $2 RETURNING credit_balance`,
          [tenantId, amount],
        );
        if (res.rowCount === 0) {
          const bal = await c.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]);
          throw new InsufficientCreditsError(amount, Number(bal.rows[0]?.credit_balance ?? 0));
        }
      }
      await c.query(
        `INSERT INTO runs (id, tenant_id, user_id, kind, graph_version_id, template_id, parent_run_id, status, plan, seed_inputs, params, price_credits)
         SELECT r.id, r.tenant_id, r.user_id, r.kind, r.graph_version_id, r.template_id, r.parent_run_id, 'queued', r.plan, r.seed_inputs, r.params, r.price_credits
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, tenant_id uuid, user_id uuid, kind text, graph_version_id uuid, template_id uuid,
           parent_run_id uuid, plan jsonb, seed_inputs jsonb, params jsonb, price_credits int)`,
        [
          JSON.stringify(
            runs.map((r) => ({
              id: r.runId,
              tenant_id: r.tenantId,
              user_id: r.userId ?? null,
              kind: r.kind,
              graph_version_id: r.graphVersionId,
              template_id: r.templateId ?? null,
              parent_run_id: r.parentRunId ?? null,
              plan: { ...r.plan, info: r.info },
              seed_inputs: r.seedInputs,
              params: r.params ?? {},
              price_credits: r.priceCredits,
            })),
          ),
        ],
      );
      await c.query(
        `INSERT INTO node_runs (run_id, node_id, tenant_id, node_type, state)
         SELECT n.run_id, n.node_id, n.tenant_id, n.node_type, 'pending'
         FROM jsonb_to_recordset($1::jsonb) AS n(run_id uuid, node_id text, tenant_id uuid, node_type text)`,
        [
          JSON.stringify(
            runs.flatMap((r) =>
              r.plan.order.map((id) => ({ run_id: r.runId, node_id: id, tenant_id: r.tenantId, node_type: r.plan.nodes[id].type })),
            ),
          ),
        ],
      );
      const charges = runs.filter((r) => r.priceCredits > 0);
      if (charges.length) {
        await c.query(
          `INSERT INTO credit_ledger (tenant_id, run_id, kind, amount, reason, idempotency_key)
           SELECT l.tenant_id, l.run_id, 'charge', -l.amount, 'shoot submitted', 'charge:' || l.run_id
           FROM jsonb_to_recordset($1::jsonb) AS l(tenant_id uuid, run_id uuid, amount int)`,
          [JSON.stringify(charges.map((r) => ({ tenant_id: r.tenantId, run_id: r.runId, amount: r.priceCredits })))],
        );
      }
      const writes = new WriteSet();
      for (const r of runs) {
        this.definitions.set(r.runId, r);
        const outcome = decide(r.plan, initialSnapshot(r.plan, r.seedInputs), { kind: 'start' });
        writes.add(r, null, outcome.decisions, generationsOf(outcome.snapshot));
      }
      await this.flushWrites(c, writes, []);
      return writes.result;
    });
  }

  /** Applies a batch of events (from many runs) in one transaction; returns jobs to enqueue after commit. */
  async applyEvents(items: RunEventItem[]): Promise<ApplyResult> {
    if (items.length === 0) return { jobs: [], notices: [], aborts: [] };
    return this.transaction(async (c) => {
      const runIds = [...new Set(items.map((i) => i.runId))].sort();
      const missing = runIds.filter((id) => !this.definitions.has(id));
      const locked = await c.query<{ id: string; status: string; plan: (RunPlan & { info: RunInfo }) | null; seed_inputs: Record<string, PortValues> | null; tenant_id: string; price_credits: number }>(
        `SELECT id, status, tenant_id, price_credits,
                CASE WHEN id = ANY($2::uuid[]) THEN plan END AS plan,
                CASE WHEN id = ANY($2::uuid[]) THEN seed_inputs END AS seed_inputs
         FROM runs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
        [runIds, missing],
      );
      const snapshots = new Map<string, RunSnapshot>();
      for (const row of locked.rows) {
        if (row.plan) {
          const { info, ...plan } = row.plan;
          this.definitions.set(row.id, {
            runId: row.id,
            tenantId: row.tenant_id,
            plan: plan as RunPlan,
            info,
            seedInputs: row.seed_inputs ?? {},
            priceCredits: row.price_credits,
          });
        }
        const def = this.definitions.get(row.id)!;
        snapshots.set(row.id, { status: row.status as RunSnapshot['status'], nodes: {}, seedInputs: def.seedInputs });
      }
      const nodeRows = await c.query<{ run_id: string; node_id: string; state: NodeStatus['state']; generation: number; outputs: PortValues | null }>(
        `SELECT run_id, node_id, state, generation, outputs FROM node_runs WHERE run_id = ANY($1::uuid[])`,
        [runIds],
      );
      for (const row of nodeRows.rows) {
        const snap = snapshots.get(row.run_id);
        if (snap) snap.nodes[row.node_id] = { state: row.state, generation: row.generation, outputs: row.outputs ?? undefined };
      }
      const writes = new WriteSet();
      const artifacts: Array<{ tenantId: string; runId: string; nodeId: string; ref: ArtifactRef }> = [];
      for (const item of items) {
        const snap = snapshots.get(item.runId);
        const def = this.definitions.get(item.runId);
        if (!snap || !def) continue; // unknown run: nothing to do
        const outcome = decide(def.plan, snap, item.event);
        snapshots.set(item.runId, outcome.snapshot);
        writes.add(def, item, outcome.decisions, generationsOf(outcome.snapshot));
        const nodeId = 'nodeId' in item.event ? item.event.nodeId : '';
        for (const ref of item.artifacts ?? []) artifacts.push({ tenantId: def.tenantId, runId: item.runId, nodeId, ref });
      }
      await this.flushWrites(c, writes, artifacts);
      return writes.result;
    });
  }

  /** The definition of a run (plan, info, seeds), from cache or the database. */
  async definition(runId: string): Promise<RunDefinition | null> {
    const cached = this.definitions.get(runId);
    if (cached) return cached;
    const res = await this.pool.query(`SELECT id, tenant_id, plan, seed_inputs, price_credits FROM runs WHERE id = $1`, [runId]);
    const row = res.rows[0];
    if (!row) return null;
    const { info, ...plan } = row.plan;
    const def: RunDefinition = { runId, tenantId: row.tenant_id, plan, info, seedInputs: row.seed_inputs, priceCredits: row.price_credits };
    this.definitions.set(runId, def);
    return def;
  }

  /** Nodes that should be in a queue (queued or running) for runs still active: for reconciliation. */
  async dispatchedNodes(): Promise<Array<{ runId: string; nodeId: string; generation: number }>> {
    const res = await this.pool.query(
      `SELECT n.run_id, n.node_id, n.generation FROM node_runs n JOIN runs r ON r.id = n.run_id
       WHERE r.status IN ('running') AND n.state IN ('queued', 'running')`,
    );
    return res.rows.map((r) => ({ runId: r.run_id, nodeId: r.node_id, generation: r.generation }));
  }

  private async flushWrites(
    c: PoolClient,
    writes: WriteSet,
    artifacts: Array<{ tenantId: string; runId: string; nodeId: string; ref: ArtifactRef }>,
  ): Promise<void> {
    if (writes.nodes.size) {
      await c.query(
        `UPDATE node_runs n SET state = u.state, generation = u.generation,
           outputs = CASE WHEN u.set_outputs THEN u.outputs ELSE n.outputs END,
           error = u.error, attempts = COALESCE(u.attempts, n.attempts),
           queued_at = COALESCE(u.queued_at, n.queued_at), started_at = COALESCE(u.started_at, n.started_at),
           finished_at = COALESCE(u.finished_at, n.finished_at), duration_ms = COALESCE(u.duration_ms, n.duration_ms)
         FROM jsonb_to_recordset($1::jsonb) AS u(run_id uuid, node_id text, state text, generation int, set_outputs boolean,
           outputs jsonb, error text, attempts int, queued_at timestamptz, started_at timestamptz, finished_at timestamptz, duration_ms int)
         WHERE n.run_id = u.run_id AND n.node_id = u.node_id`,
        [JSON.stringify([...writes.nodes.values()])],
      );
    }
    if (writes.runs.size) {
      await c.query(
        `UPDATE runs r SET status = u.status, outputs = COALESCE(u.outputs, r.outputs), error = COALESCE(u.error, r.error),
           started_at = CASE WHEN u.started THEN COALESCE(r.started_at, now()) ELSE r.started_at END,
           finished_at = CASE WHEN u.finished THEN now() ELSE r.finished_at END
         FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, status text, outputs jsonb, error text, started boolean, finished boolean)
         WHERE r.id = u.id`,
        [JSON.stringify([...writes.runs.values()])],
      );
    }
    if (writes.refunds.size) {
      // The unique idempotency key makes a second refund of the same run a no-op, even across workers.
      await c.query(
        `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(run_id uuid, tenant_id uuid, amount int, reason text)),
         ins AS (
           INSERT INTO credit_ledger (tenant_id, run_id, kind, amount, reason, idempotency_key)
           SELECT tenant_id, run_id, 'refund', amount, left(reason, 500), 'refund:' || run_id FROM r
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING tenant_id, amount)
         UPDATE tenants t SET credit_balance = t.credit_balance + s.total
         FROM (SELECT tenant_id, sum(amount)::int AS total FROM ins GROUP BY tenant_id) s WHERE t.id = s.tenant_id`,
        [JSON.stringify([...writes.refunds.values()])],
      );
    }
    if (artifacts.length) {
      await c.query(
        `INSERT INTO artifacts (tenant_id, hash, mime, bytes, width, height, run_id, node_id)
         SELECT a.tenant_id, a.hash, a.mime, a.bytes, a.width, a.height, a.run_id, a.node_id
         FROM jsonb_to_recordset($1::jsonb) AS a(tenant_id uuid, hash text, mime text, bytes bigint, width int, height int, run_id uuid, node_id text)
         ON CONFLICT DO NOTHING`,
        [
          JSON.stringify(
            artifacts.map((a) => ({
              tenant_id: a.tenantId,
              hash: a.ref.hash,
              mime: a.ref.mime,
              bytes: a.ref.bytes,
              width: a.ref.width ?? null,
              height: a.ref.height ?? null,
              run_id: a.runId,
              node_id: a.nodeId,
            })),
          ),
        ],
      );
    }
  }

  /** Runs fn in a transaction, retrying a few times when PostgreSQL breaks a deadlock by aborting us. */
  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(fn);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }

  private async transactionOnce<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}

function generationsOf(snapshot: RunSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(snapshot.nodes)) out[id] = n.generation;
  return out;
}
