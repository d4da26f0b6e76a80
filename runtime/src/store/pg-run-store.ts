import type { Pool, PoolClient } from 'pg';
import {
  decide,
  descendantsOf,
  effectiveParams,
  initialSnapshot,
  resolveInputs,
  type Decision,
  type NodeStatus,
  type RunPlan,
  type RunSnapshot,
  type SchedulerEvent,
} from '../scheduler';
import type { ArtifactRef, NodeLogger, PortValues, RunInfo } from '../contract';
import { cacheKey } from './cache-key';
import { WriteSet } from './decisions-to-writes';
import { LruCache } from './lru';
import { CommitOutcomeUnknownError, isTransientError, retryWithBackoff } from './transient';
import { InsufficientCreditsError, type ApplyResult, type NewRun, type RunDefinition, type RunEventItem } from './types';

export interface PgRunStoreOptions {
  /** How long a transaction keeps retrying a lost or refused connection before giving up (10 s). */
  transientRetryMs?: number;
  log?: Pick<NodeLogger, 'warn'>;
}

interface RunState {
  def: RunDefinition;
  snapshot: RunSnapshot;
  billingRound: number;
}

interface ArtifactRow {
  tenantId: string;
  runId: string;
  nodeId: string;
  ref: ArtifactRef;
}

/**
 * The durable side of the scheduler. PostgreSQL is the source of truth: every event is applied
 * under the run's row lock, so concurrent completions of a fan-in see each other and the pure
 * scheduler dispatches the join node exactly once. Whole batches share one transaction.
 */
export class PgRunStore {
  private readonly definitions = new LruCache<string, RunDefinition>(20_000);

  constructor(readonly pool: Pool, private readonly options: PgRunStoreOptions = {}) {}

  /**
   * Creates runs, records their seed artifacts, charges their credits and dispatches their first
   * nodes, all in one transaction.
   */
  async createRuns(runs: NewRun[]): Promise<ApplyResult> {
    return this.transaction(async (c) => {
      await this.debit(c, runs.map((r) => ({ tenantId: r.tenantId, amount: r.priceCredits })));
      await c.query(
        `INSERT INTO runs (id, tenant_id, user_id, kind, graph_version_id, template_id, parent_run_id, replay_from, status, plan, seed_inputs, params, price_credits, idempotency_key)
         SELECT r.id, r.tenant_id, r.user_id, r.kind, r.graph_version_id, r.template_id, r.parent_run_id, r.replay_from, 'queued', r.plan, r.seed_inputs, r.params, r.price_credits, r.idempotency_key
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, tenant_id uuid, user_id uuid, kind text, graph_version_id uuid, template_id uuid,
           parent_run_id uuid, replay_from text, plan jsonb, seed_inputs jsonb, params jsonb, price_credits int, idempotency_key text)`,
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
              replay_from: r.replayFrom ?? null,
              plan: { ...r.plan, info: r.info },
              seed_inputs: r.seedInputs,
              params: r.params ?? {},
              price_credits: r.priceCredits,
              idempotency_key: r.idempotencyKey ?? null,
            })),
          ),
        ],
      );
      await c.query(
        `INSERT INTO node_runs (run_id, node_id, tenant_id, node_type, state, outputs, source_run_id)
         SELECT n.run_id, n.node_id, n.tenant_id, n.node_type, n.state, n.outputs, n.source_run_id
         FROM jsonb_to_recordset($1::jsonb) AS n(run_id uuid, node_id text, tenant_id uuid, node_type text, state text, outputs jsonb, source_run_id uuid)`,
        [
          JSON.stringify(
            runs.flatMap((r) =>
              r.plan.order.map((id) => ({
                run_id: r.runId,
                node_id: id,
                tenant_id: r.tenantId,
                node_type: r.plan.nodes[id].type,
                state: r.initialNodes?.[id] ? 'cached' : 'pending',
                outputs: r.initialNodes?.[id]?.outputs ?? null,
                source_run_id: r.initialNodes?.[id]?.sourceRunId ?? null,
              })),
            ),
          ),
        ],
      );
      const charged = runs.filter((r) => r.priceCredits > 0);
      await this.ledger(c, 'charge', charged.map((r) => ({ tenantId: r.tenantId, runId: r.runId, amount: r.priceCredits, reason: 'shoot submitted', round: 0 })));
      const states = new Map<string, RunState>();
      const items = new Map<string, Array<{ item: RunEventItem | null; decisions: Decision[] }>>();
      for (const r of runs) {
        this.definitions.set(r.runId, r);
        const given: Record<string, NodeStatus> = {};
        for (const [id, n] of Object.entries(r.initialNodes ?? {})) given[id] = { state: 'cached', generation: 0, outputs: n.outputs };
        const outcome = decide(r.plan, initialSnapshot(r.plan, r.seedInputs, given), { kind: 'start' });
        states.set(r.runId, { def: r, snapshot: outcome.snapshot, billingRound: 0 });
        items.set(r.runId, [{ item: null, decisions: outcome.decisions }]);
      }
      const seedArtifacts = runs.flatMap((r) => (r.seedArtifacts ?? []).map((a) => ({ tenantId: r.tenantId, runId: r.runId, nodeId: a.seed, ref: a.ref })));
      return this.finish(c, states, items, seedArtifacts);
    });
  }

  /** The run an earlier submission with this idempotency key created, if any. */
  async runWithIdempotencyKey(tenantId: string, key: string): Promise<string | null> {
    const found = await this.pool.query(`SELECT id FROM runs WHERE tenant_id = $1 AND idempotency_key = $2`, [tenantId, key]);
    return found.rows[0]?.id ?? null;
  }

  /** Applies a batch of events (from many runs) in one transaction; returns jobs to enqueue after commit. */
  async applyEvents(items: RunEventItem[]): Promise<ApplyResult> {
    if (items.length === 0) return { jobs: [], notices: [], aborts: [] };
    return this.transaction(async (c) => {
      const states = await this.lockRuns(c, [...new Set(items.map((i) => i.runId))]);
      const applied = new Map<string, Array<{ item: RunEventItem | null; decisions: Decision[] }>>();
      const artifacts: ArtifactRow[] = [];
      const cacheWrites: Array<{ tenant_id: string; cache_key: string; node_type: string; outputs: PortValues; run_id: string; node_id: string }> = [];
      for (const item of items) {
        const state = states.get(item.runId);
        if (!state) continue; // unknown run: nothing to do
        const { def } = state;
        const e = item.event;
        if (e.kind === 'node_succeeded' && !e.cached && def.plan.nodes[e.nodeId]?.cacheable) {
          const node = state.snapshot.nodes[e.nodeId];
          if (node && node.generation === e.generation && (node.state === 'queued' || node.state === 'running')) {
            const pn = def.plan.nodes[e.nodeId];
            const key = cacheKey(pn, effectiveParams(def.plan, state.snapshot, e.nodeId), resolveInputs(def.plan, state.snapshot, e.nodeId));
            cacheWrites.push({ tenant_id: def.tenantId, cache_key: key, node_type: pn.type, outputs: e.outputs, run_id: def.runId, node_id: e.nodeId });
          }
        }
        const outcome = decide(def.plan, state.snapshot, e);
        state.snapshot = outcome.snapshot;
        push(applied, item.runId, { item, decisions: outcome.decisions });
        const nodeId = 'nodeId' in e ? e.nodeId : '';
        for (const ref of item.artifacts ?? []) artifacts.push({ tenantId: def.tenantId, runId: item.runId, nodeId, ref });
      }
      if (cacheWrites.length) {
        await c.query(
          `INSERT INTO node_cache (tenant_id, cache_key, node_type, outputs, run_id, node_id)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(tenant_id uuid, cache_key text, node_type text, outputs jsonb, run_id uuid, node_id text)
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(cacheWrites)],
        );
      }
      return this.finish(c, states, applied, artifacts);
    });
  }

  /** A new run that re-runs `fromNodeId` and its descendants (optionally with new params), reusing the rest. */
  async replay(parentRunId: string, fromNodeId: string, params: Record<string, unknown> | undefined, newRunId: string, extra: Pick<NewRun, 'userId' | 'priceCredits' | 'kind'>): Promise<ApplyResult> {
    const parent = await this.pool.query(
      `SELECT id, tenant_id, graph_version_id, template_id, plan, seed_inputs, params FROM runs WHERE id = $1`,
      [parentRunId],
    );
    const row = parent.rows[0];
    if (!row) throw new Error(`run ${parentRunId} not found`);
    const { info, ...plan } = row.plan as RunPlan & { info: RunInfo };
    if (!plan.nodes[fromNodeId]) throw new Error(`run ${parentRunId} has no node "${fromNodeId}"`);
    const rerun = new Set(descendantsOf(plan as RunPlan, fromNodeId));
    const nodes = await this.pool.query(`SELECT node_id, state, outputs FROM node_runs WHERE run_id = $1`, [parentRunId]);
    const initialNodes: NonNullable<NewRun['initialNodes']> = {};
    for (const n of nodes.rows) {
      if (rerun.has(n.node_id)) continue;
      if (n.state !== 'done' && n.state !== 'cached') throw new Error(`cannot replay from ${fromNodeId}: upstream node ${n.node_id} did not finish (${n.state})`);
      initialNodes[n.node_id] = { outputs: n.outputs, sourceRunId: parentRunId };
    }
    const newPlan = structuredClone(plan) as RunPlan;
    if (params) newPlan.nodes[fromNodeId].params = { ...newPlan.nodes[fromNodeId].params, ...params };
    return this.createRuns([
      {
        runId: newRunId,
        tenantId: row.tenant_id,
        userId: extra.userId ?? null,
        kind: extra.kind,
        graphVersionId: row.graph_version_id,
        templateId: row.template_id,
        parentRunId,
        plan: newPlan,
        info: { ...info, runId: newRunId },
        seedInputs: row.seed_inputs,
        params: row.params,
        priceCredits: extra.priceCredits,
        replayFrom: fromNodeId,
        initialNodes,
      },
    ]);
  }

  /** The definition of a run (plan, info, seeds), from cache or the database. */
  async definition(runId: string): Promise<RunDefinition | null> {
    const cached = this.definitions.get(runId);
    if (cached) return cached;
    const res = await this.pool.query(`SELECT id, tenant_id, plan, seed_inputs, price_credits FROM runs WHERE id = $1`, [runId]);
    const row = res.rows[0];
    if (!row) return null;
    return this.remember(row);
  }

  /**
   * Every running run (or those of `only`) that has nodes queued or running, with its snapshot (no
   * lock): what reconciliation needs to re-add their jobs. Two queries however many runs are active.
   */
  async activeRuns(only?: readonly string[]): Promise<Array<{ def: RunDefinition; snapshot: RunSnapshot }>> {
    const runs = await this.pool.query(
      `SELECT id, tenant_id, price_credits, plan, seed_inputs FROM runs r
       WHERE status = 'running' AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
         AND EXISTS (SELECT 1 FROM node_runs n WHERE n.run_id = r.id AND n.state IN ('queued', 'running'))`,
      [only ?? null],
    );
    if (runs.rowCount === 0) return [];
    const loaded = new Map(runs.rows.map((row) => {
      const def = this.remember(row);
      return [row.id as string, { def, snapshot: { status: 'running', nodes: {}, seedInputs: def.seedInputs } as RunSnapshot }];
    }));
    const nodes = await this.pool.query(
      `SELECT run_id, node_id, state, generation, outputs, params_override FROM node_runs WHERE run_id = ANY($1::uuid[])`,
      [[...loaded.keys()]],
    );
    for (const r of nodes.rows) loaded.get(r.run_id)!.snapshot.nodes[r.node_id] = nodeStatus(r);
    return [...loaded.values()];
  }

  private remember(row: { id: string; tenant_id: string; plan: RunPlan & { info: RunInfo }; seed_inputs: Record<string, PortValues> | null; price_credits: number }): RunDefinition {
    const { info, ...plan } = row.plan;
    const def: RunDefinition = {
      runId: row.id,
      tenantId: row.tenant_id,
      plan: plan as RunPlan,
      info,
      seedInputs: row.seed_inputs ?? {},
      priceCredits: row.price_credits,
    };
    this.definitions.set(row.id, def);
    return def;
  }

  /** Locks the runs (in id order, so concurrent batches cannot deadlock) and loads their snapshots. */
  private async lockRuns(c: PoolClient, ids: string[]): Promise<Map<string, RunState>> {
    const runIds = [...ids].sort();
    const missing = runIds.filter((id) => !this.definitions.has(id));
    const locked = await c.query(
      `SELECT id, status, tenant_id, price_credits, billing_round,
              CASE WHEN id = ANY($2::uuid[]) THEN plan END AS plan,
              CASE WHEN id = ANY($2::uuid[]) THEN seed_inputs END AS seed_inputs
       FROM runs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [runIds, missing],
    );
    const states = new Map<string, RunState>();
    for (const row of locked.rows) {
      const def = row.plan ? this.remember(row) : this.definitions.get(row.id)!;
      states.set(row.id, { def, billingRound: row.billing_round, snapshot: { status: row.status, nodes: {}, seedInputs: def.seedInputs } });
    }
    const nodeRows = await c.query(
      `SELECT run_id, node_id, state, generation, outputs, params_override FROM node_runs WHERE run_id = ANY($1::uuid[])`,
      [runIds],
    );
    for (const row of nodeRows.rows) {
      const s = states.get(row.run_id);
      if (s) s.snapshot.nodes[row.node_id] = nodeStatus(row);
    }
    return states;
  }

  /**
   * Serves dispatches from the execution cache (a hit completes the node as `cached` without a job,
   * which may make more nodes ready: repeat), then writes everything in a few statements.
   */
  private async finish(
    c: PoolClient,
    states: Map<string, RunState>,
    applied: Map<string, Array<{ item: RunEventItem | null; decisions: Decision[] }>>,
    artifacts: ArtifactRow[],
  ): Promise<ApplyResult> {
    let lookups = collectCacheable(states, applied, new Set());
    const looked = new Set<Decision>();
    while (lookups.length) {
      for (const l of lookups) looked.add(l.decision);
      const hits = await c.query(
        `UPDATE node_cache SET hits = hits + 1 WHERE (tenant_id, cache_key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
         RETURNING tenant_id, cache_key, outputs`,
        [lookups.map((l) => l.tenantId), lookups.map((l) => l.key)],
      );
      const found = new Map(hits.rows.map((h) => [`${h.tenant_id}/${h.cache_key}`, h.outputs as PortValues]));
      for (const l of lookups) {
        const outputs = found.get(`${l.tenantId}/${l.key}`);
        if (!outputs) continue;
        const state = states.get(l.runId)!;
        const entries = applied.get(l.runId)!;
        for (const entry of entries) entry.decisions = entry.decisions.filter((d) => d !== l.decision);
        const event: SchedulerEvent = { kind: 'node_succeeded', nodeId: l.nodeId, generation: l.generation, outputs, cached: true };
        const outcome = decide(state.def.plan, state.snapshot, event);
        state.snapshot = outcome.snapshot;
        entries.push({ item: { runId: l.runId, event }, decisions: outcome.decisions });
      }
      lookups = collectCacheable(states, applied, looked);
    }
    const writes = new WriteSet();
    for (const [runId, entries] of applied) {
      const state = states.get(runId)!;
      const generations: Record<string, number> = {};
      for (const [id, n] of Object.entries(state.snapshot.nodes)) generations[id] = n.generation;
      for (const e of entries) writes.add(state.def, e.item, e.decisions, generations);
    }
    await this.flushWrites(c, writes, artifacts, states);
    return writes.result;
  }

  private async flushWrites(c: PoolClient, writes: WriteSet, artifacts: ArtifactRow[], states: Map<string, RunState>): Promise<void> {
    if (writes.nodes.size) {
      await c.query(
        `UPDATE node_runs n SET state = u.state, generation = u.generation,
           outputs = CASE WHEN u.set_outputs THEN u.outputs ELSE n.outputs END,
           params_override = CASE WHEN u.set_params THEN u.params_override ELSE n.params_override END,
           error = u.error, attempts = COALESCE(u.attempts, n.attempts),
           queued_at = COALESCE(u.queued_at, n.queued_at), started_at = COALESCE(u.started_at, n.started_at),
           finished_at = COALESCE(u.finished_at, n.finished_at), duration_ms = COALESCE(u.duration_ms, n.duration_ms),
           source_run_id = CASE WHEN u.set_outputs THEN NULL ELSE n.source_run_id END
         FROM jsonb_to_recordset($1::jsonb) AS u(run_id uuid, node_id text, state text, generation int, set_outputs boolean,
           outputs jsonb, error text, attempts int, set_params boolean, params_override jsonb, queued_at timestamptz,
           started_at timestamptz, finished_at timestamptz, duration_ms int)
         WHERE n.run_id = u.run_id AND n.node_id = u.node_id`,
        [JSON.stringify([...writes.nodes.values()])],
      );
    }
    if (writes.runs.size) {
      await c.query(
        `UPDATE runs r SET status = u.status, outputs = COALESCE(u.outputs, r.outputs), error = u.error,
           started_at = CASE WHEN u.started THEN COALESCE(r.started_at, now()) ELSE r.started_at END,
           finished_at = CASE WHEN u.finished THEN now() ELSE NULL END
         FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, status text, outputs jsonb, error text, started boolean, finished boolean)
         WHERE r.id = u.id`,
        [JSON.stringify([...writes.runs.values()])],
      );
    }
    if (writes.charges.size) {
      // A re-drive opens a new billing round; its charge and any later refund carry the round in their keys.
      const charges = [...writes.charges.values()];
      await this.debit(c, charges.map((w) => ({ tenantId: w.tenant_id, amount: w.amount })));
      for (const w of charges) states.get(w.run_id)!.billingRound += 1;
      await c.query(`UPDATE runs SET billing_round = billing_round + 1 WHERE id = ANY($1::uuid[])`, [charges.map((w) => w.run_id)]);
      await this.ledger(c, 'charge', charges.map((w) => ({ tenantId: w.tenant_id, runId: w.run_id, amount: w.amount, reason: w.reason, round: states.get(w.run_id)!.billingRound })));
    }
    if (writes.refunds.size) {
      const refunds = [...writes.refunds.values()].map((w) => ({ tenantId: w.tenant_id, runId: w.run_id, amount: w.amount, reason: w.reason, round: states.get(w.run_id)!.billingRound }));
      await this.ledger(c, 'refund', refunds);
    }
    if (writes.deadLetters.length) {
      await c.query(
        `INSERT INTO dead_letters (tenant_id, run_id, node_id, node_type, error, attempts)
         SELECT tenant_id, run_id, node_id, node_type, left(error, 4000), attempts
         FROM jsonb_to_recordset($1::jsonb) AS d(tenant_id uuid, run_id uuid, node_id text, node_type text, error text, attempts int)`,
        [JSON.stringify(writes.deadLetters)],
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

  /** Takes credits; the balance can never go negative (checked in the UPDATE and by a constraint). */
  private async debit(c: PoolClient, items: Array<{ tenantId: string; amount: number }>): Promise<void> {
    const needed = new Map<string, number>();
    for (const i of items) needed.set(i.tenantId, (needed.get(i.tenantId) ?? 0) + i.amount);
    for (const [tenantId, amount] of [...needed].sort()) {
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
  }

  /**
   * Appends ledger entries. Keys are unique per run, kind and billing round, so a second refund of the
   * same round is a no-op even when two workers race; a refund credits the balance only when inserted.
   */
  private async ledger(
    c: PoolClient,
    kind: 'charge' | 'refund',
    entries: Array<{ tenantId: string; runId: string; amount: number; reason: string; round: number }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      tenant_id: e.tenantId,
      run_id: e.runId,
      amount: kind === 'charge' ? -e.amount : e.amount,
      reason: e.reason.slice(0, 500),
      key: `${kind}:${e.runId}${e.round > 0 ? `:r${e.round}` : ''}`,
    }));
    if (kind === 'charge') {
      await c.query(
        `INSERT INTO credit_ledger (tenant_id, run_id, kind, amount, reason, idempotency_key)
         SELECT tenant_id, run_id, 'charge', amount, reason, key FROM jsonb_to_recordset($1::jsonb) AS l(tenant_id uuid, run_id uuid, amount int, reason text, key text)`,
        [JSON.stringify(rows)],
      );
      return;
    }
    await c.query(
      `WITH ins AS (
         INSERT INTO credit_ledger (tenant_id, run_id, kind, amount, reason, idempotency_key)
         SELECT tenant_id, run_id, 'refund', amount, reason, key FROM jsonb_to_recordset($1::jsonb) AS l(tenant_id uuid, run_id uuid, amount int, reason text, key text)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING tenant_id, amount)
       UPDATE tenants t SET credit_balance = t.credit_balance + s.total
       FROM (SELECT tenant_id, sum(amount)::int AS total FROM ins GROUP BY tenant_id) s WHERE t.id = s.tenant_id`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Runs fn in a transaction. Retried: a deadlock PostgreSQL broke by aborting us (a few times), and a
   * lost or refused connection before COMMIT was sent (with backoff, within the store's budget: the
   * transaction rolled back, so repeating it changes nothing twice). A connection lost during COMMIT
   * is not retried here: it surfaces as CommitOutcomeUnknownError and the caller decides.
   */
  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    let deadlocks = 0;
    return retryWithBackoff(() => this.transactionOnce(fn), {
      budgetMs: this.options.transientRetryMs ?? 10_000,
      retryable: (err) => {
        const code = (err as { code?: string }).code;
        if (code === '40P01' || code === '40001') return ++deadlocks < 5;
        return isTransientError(err) && !(err instanceof CommitOutcomeUnknownError);
      },
      initialDelayMs: 50,
      onRetry: (err, attempt, delayMs) => {
        if (isTransientError(err)) this.options.log?.warn('database connection lost before COMMIT; retrying the transaction', { error: String(err), attempt, delayMs });
      },
    });
  }

  private async transactionOnce<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    // A checked-out client has no pool listener: a backend terminated between our statements would
    // otherwise be an unhandled 'error' event that ends the process.
    let broken: unknown;
    const onError = (err: Error) => (broken ??= err);
    c.on('error', onError);
    let committing = false;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      committing = true;
      await c.query('COMMIT');
      return out;
    } catch (err) {
      if (isTransientError(err)) broken ??= err;
      if (committing && broken) throw new CommitOutcomeUnknownError(err);
      if (!broken) await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.removeListener('error', onError);
      // release(err) destroys the client instead of returning a dead connection to the pool.
      c.release(broken ? (broken instanceof Error ? broken : new Error(String(broken))) : undefined);
    }
  }
}

function nodeStatus(row: { state: NodeStatus['state']; generation: number; outputs: PortValues | null; params_override: Record<string, unknown> | null }): NodeStatus {
  const n: NodeStatus = { state: row.state, generation: row.generation };
  if (row.outputs) n.outputs = row.outputs;
  if (row.params_override) n.params = row.params_override;
  return n;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Enqueue decisions of cacheable nodes not looked up yet, with their cache keys. */
function collectCacheable(
  states: Map<string, RunState>,
  applied: Map<string, Array<{ item: RunEventItem | null; decisions: Decision[] }>>,
  looked: Set<Decision>,
) {
  const out: Array<{ runId: string; tenantId: string; nodeId: string; generation: number; key: string; decision: Decision }> = [];
  for (const [runId, entries] of applied) {
    const { def } = states.get(runId)!;
    for (const e of entries) {
      for (const d of e.decisions) {
        if (d.kind !== 'enqueue' || looked.has(d)) continue;
        const pn = def.plan.nodes[d.nodeId];
        if (!pn.cacheable) continue;
        out.push({ runId, tenantId: def.tenantId, nodeId: d.nodeId, generation: d.generation, key: cacheKey(pn, d.params, d.inputs), decision: d });
      }
    }
  }
  return out;
}
