import type { Pool, PoolClient } from 'pg';
import { decide, initialSnapshot, queuePriorities, replayPlan, type NodeStatus, type RunPlan, type RunSnapshot } from '../scheduler';
import { referencedHashes, type NodeLogger, type PortValues, type RunInfo } from '../contract';
import { WriteSet } from './decisions-to-writes';
import { cacheEntryFor, serveFromCache, writeCacheEntries, type CacheEntry } from './execution-cache';
import { flushWrites } from './flush-writes';
import { insertNodeLogs, type NodeLogRow } from './node-logs';
import { appendLedger, debit } from './ledger';
import { LruCache } from './lru';
import type { AppliedEvents, ArtifactRow, RunState } from './run-state';
import { CommitOutcomeUnknownError, isTransientError, retryWithBackoff } from './transient';
import { claimArtifacts, collectedArtifacts } from '../retention/claims';
import type { ApplyResult, NewRun, RunDefinition, RunEventItem } from './types';

export interface PgRunStoreOptions {
  /** How long a transaction keeps retrying a lost or refused connection before giving up (10 s). */
  transientRetryMs?: number;
  log?: Pick<NodeLogger, 'warn'>;
  /**
   * Whether the artifact store holds a file now (the worker's store `has`). A node output whose hash
   * the collector deleted while the node ran is accepted when the file is there again (the node
   * wrote it after the deletion); without this, such a node fails.
   */
  artifactExists?: (hash: string) => Promise<boolean>;
}

/** A replay that cannot start because what it needs is gone (its parent's photo was collected). */
export class ReplayUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayUnavailableError';
  }
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
      await debit(c, runs.map((r) => ({ tenantId: r.tenantId, amount: r.priceCredits })));
      const active = await c.query(
        `SELECT tenant_id, count(*)::int AS n FROM runs WHERE tenant_id = ANY($1::uuid[]) AND status IN ('queued', 'running') GROUP BY tenant_id`,
        [[...new Set(runs.map((r) => r.tenantId))]],
      );
      const priorities = queuePriorities(runs, new Map(active.rows.map((row) => [row.tenant_id as string, row.n as number])));
      runs = runs.map((r, i) => ({ ...r, queuePriority: priorities[i] }));
      await c.query(
        `INSERT INTO runs (id, tenant_id, user_id, kind, graph_version_id, draft_snapshot_id, until_node_id, template_id, parent_run_id, replay_from, status, plan, seed_inputs, params, price_credits, idempotency_key, queue_priority, idempotency_fingerprint)
         SELECT r.id, r.tenant_id, r.user_id, r.kind, r.graph_version_id, r.draft_snapshot_id, r.until_node_id, r.template_id, r.parent_run_id, r.replay_from, 'queued', r.plan, r.seed_inputs, r.params, r.price_credits, r.idempotency_key, r.queue_priority, r.idempotency_fingerprint
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, tenant_id uuid, user_id uuid, kind text, graph_version_id uuid, draft_snapshot_id uuid, until_node_id text, template_id uuid,
           parent_run_id uuid, replay_from text, plan jsonb, seed_inputs jsonb, params jsonb, price_credits int, idempotency_key text, queue_priority int, idempotency_fingerprint text)`,
        [
          JSON.stringify(
            runs.map((r) => ({
              id: r.runId,
              tenant_id: r.tenantId,
              user_id: r.userId ?? null,
              kind: r.kind,
              graph_version_id: r.graphVersionId,
              draft_snapshot_id: r.draftSnapshotId ?? null,
              until_node_id: r.untilNodeId ?? null,
              template_id: r.templateId ?? null,
              parent_run_id: r.parentRunId ?? null,
              replay_from: r.replayFrom ?? null,
              plan: { ...r.plan, info: r.info },
              seed_inputs: r.seedInputs,
              params: r.params ?? {},
              price_credits: r.priceCredits,
              idempotency_key: r.idempotencyKey ?? null,
              queue_priority: r.queuePriority,
              idempotency_fingerprint: r.idempotencyFingerprint ?? null,
            })),
          ),
        ],
      );
      await c.query(
        `INSERT INTO node_runs (run_id, node_id, tenant_id, node_type, state, outputs, source_run_id, cost_usd)
         SELECT n.run_id, n.node_id, n.tenant_id, n.node_type, n.state, n.outputs, n.source_run_id, n.cost_usd
         FROM jsonb_to_recordset($1::jsonb) AS n(run_id uuid, node_id text, tenant_id uuid, node_type text, state text, outputs jsonb, source_run_id uuid, cost_usd numeric)`,
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
                // A replay's reused outputs were paid for by the parent run.
                cost_usd: r.initialNodes?.[id] ? 0 : null,
              })),
            ),
          ),
        ],
      );
      const charged = runs.filter((r) => r.priceCredits > 0);
      await appendLedger(c, 'charge', charged.map((r) => ({ tenantId: r.tenantId, runId: r.runId, amount: r.priceCredits, reason: 'shoot submitted', round: 0 })));
      const states = new Map<string, RunState>();
      const items: AppliedEvents = new Map();
      for (const r of runs) {
        this.definitions.set(r.runId, r);
        const given: Record<string, NodeStatus> = {};
        for (const [id, n] of Object.entries(r.initialNodes ?? {})) given[id] = { state: 'cached', generation: 0, outputs: n.outputs };
        const outcome = decide(r.plan, { ...initialSnapshot(r.plan, r.seedInputs, given), runId: r.runId }, { kind: 'start' });
        states.set(r.runId, { def: r, snapshot: outcome.snapshot, billingRound: 0 });
        items.set(r.runId, [{ item: null, decisions: outcome.decisions }]);
      }
      const seedArtifacts = runs.flatMap((r) => (r.seedArtifacts ?? []).map((a) => ({ tenantId: r.tenantId, runId: r.runId, nodeId: a.seed, ref: a.ref })));
      // The runs reference their seeds and a replay's reused outputs from now on: no sweep may take them.
      const reused = runs.flatMap((r) => Object.values(r.initialNodes ?? {}).flatMap((n) => referencedHashes(n.outputs)));
      await claimArtifacts(c, [...seedArtifacts.map((a) => a.ref.hash), ...reused]);
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
      items = await this.refuseCollectedOutputs(c, items);
      const applied: AppliedEvents = new Map();
      const artifacts: ArtifactRow[] = [];
      const cacheEntries: CacheEntry[] = [];
      const logs: NodeLogRow[] = [];
      for (const item of items) {
        const state = states.get(item.runId);
        if (!state) continue; // unknown run: nothing to do
        const { def } = state;
        const e = item.event;
        const entry = cacheEntryFor(state, e);
        if (entry) cacheEntries.push(entry);
        const outcome = decide(def.plan, state.snapshot, e);
        state.snapshot = outcome.snapshot;
        push(applied, item.runId, { item, decisions: outcome.decisions });
        const nodeId = 'nodeId' in e ? e.nodeId : '';
        for (const ref of item.artifacts ?? []) artifacts.push({ tenantId: def.tenantId, runId: item.runId, nodeId, ref });
        for (const line of item.logs ?? []) logs.push({ runId: item.runId, nodeId, ...line });
      }
      await writeCacheEntries(c, cacheEntries);
      await insertNodeLogs(c, logs);
      return this.finish(c, states, applied, artifacts);
    });
  }

  /**
   * Claims the artifacts the items' nodes wrote. A node whose output the collector deleted while it
   * ran (it may have found the file still there and skipped writing it) fails instead of succeeding
   * with a reference to a missing file; the run ends and is refunded like any failure.
   */
  private async refuseCollectedOutputs(c: PoolClient, items: RunEventItem[]): Promise<RunEventItem[]> {
    const written = items.filter((i) => i.artifacts?.length);
    if (written.length === 0) return items;
    const earliest = new Date(Math.min(...written.map((i) => (i.startedAt ?? new Date(0)).getTime())));
    const collected = await claimArtifacts(c, written.flatMap((i) => i.artifacts!.map((a) => a.hash)), earliest);
    // The sweep that deleted them has committed (the claim waited for it): a file there now was written since.
    const exists = this.options.artifactExists;
    if (exists) for (const hash of [...collected]) if (await exists(hash)) collected.delete(hash);
    if (collected.size === 0) return items;
    return items.map((item) => {
      const e = item.event;
      const lost = e.kind === 'node_succeeded' && item.artifacts?.find((a) => collected.has(a.hash));
      if (!lost) return item;
      const error = `artifact ${lost.hash} was deleted by the storage collector while the node ran; run the shoot again`;
      return { ...item, artifacts: [], event: { kind: 'node_failed', nodeId: e.nodeId, generation: e.generation, error } };
    });
  }

  /** A new run that re-runs `fromNodeId` and its descendants (optionally with new params), reusing the rest. */
  async replay(parentRunId: string, fromNodeId: string, params: Record<string, unknown> | undefined, newRunId: string, extra: Pick<NewRun, 'userId' | 'priceCredits' | 'kind'>): Promise<ApplyResult> {
    const parent = await this.pool.query(
      `SELECT id, tenant_id, graph_version_id, draft_snapshot_id, until_node_id, template_id, plan, seed_inputs, params FROM runs WHERE id = $1`,
      [parentRunId],
    );
    const row = parent.rows[0];
    if (!row) throw new Error(`run ${parentRunId} not found`);
    const { info, ...plan } = row.plan as RunPlan & { info: RunInfo };
    const nodes = await this.pool.query(`SELECT node_id AS "nodeId", state, outputs FROM node_runs WHERE run_id = $1`, [parentRunId]);
    // Outputs the collector deleted (past the intermediate retention) are recomputed; a deleted seed cannot be.
    const seeds = referencedHashes(row.seed_inputs);
    const outputs = nodes.rows.flatMap((n) => referencedHashes(n.outputs));
    const collected = await this.transaction(async (c) => {
      await claimArtifacts(c, [...seeds, ...outputs]);
      return collectedArtifacts(c, [...seeds, ...outputs]);
    });
    const lostSeed = seeds.find((h) => collected.has(h));
    if (lostSeed) {
      throw new ReplayUnavailableError(`run ${parentRunId} cannot be replayed: the photo it started from was deleted after its retention period; start a new shoot with the photo`);
    }
    const replay = replayPlan({ runId: parentRunId, plan, nodes: nodes.rows }, fromNodeId, params, collected);
    return this.createRuns([
      {
        runId: newRunId,
        tenantId: row.tenant_id,
        userId: extra.userId ?? null,
        kind: extra.kind,
        graphVersionId: row.graph_version_id,
        draftSnapshotId: row.draft_snapshot_id,
        untilNodeId: row.until_node_id,
        templateId: row.template_id,
        parentRunId,
        plan: replay.plan,
        info: { ...info, runId: newRunId },
        seedInputs: row.seed_inputs,
        params: row.params,
        priceCredits: extra.priceCredits,
        replayFrom: fromNodeId,
        initialNodes: replay.reused,
      },
    ]);
  }

  /** The definition of a run (plan, info, seeds), from cache or the database. */
  async definition(runId: string): Promise<RunDefinition | null> {
    const cached = this.definitions.get(runId);
    if (cached) return cached;
    const res = await this.pool.query(`SELECT id, tenant_id, plan, seed_inputs, price_credits, queue_priority FROM runs WHERE id = $1`, [runId]);
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
      `SELECT id, tenant_id, price_credits, queue_priority, plan, seed_inputs FROM runs r
       WHERE status = 'running' AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
         AND EXISTS (SELECT 1 FROM node_runs n WHERE n.run_id = r.id AND n.state IN ('queued', 'running'))`,
      [only ?? null],
    );
    if (runs.rowCount === 0) return [];
    const loaded = new Map(runs.rows.map((row) => {
      const def = this.remember(row);
      return [row.id as string, { def, snapshot: { runId: def.runId, status: 'running', nodes: {}, seedInputs: def.seedInputs } as RunSnapshot }];
    }));
    const nodes = await this.pool.query(
      `SELECT run_id, node_id, state, generation, outputs, params_override FROM node_runs WHERE run_id = ANY($1::uuid[])`,
      [[...loaded.keys()]],
    );
    for (const r of nodes.rows) loaded.get(r.run_id)!.snapshot.nodes[r.node_id] = nodeStatus(r);
    return [...loaded.values()];
  }

  private remember(row: {
    id: string;
    tenant_id: string;
    plan: RunPlan & { info: RunInfo };
    seed_inputs: Record<string, PortValues> | null;
    price_credits: number;
    queue_priority: number;
  }): RunDefinition {
    const { info, ...plan } = row.plan;
    const def: RunDefinition = {
      runId: row.id,
      tenantId: row.tenant_id,
      plan: plan as RunPlan,
      info,
      seedInputs: row.seed_inputs ?? {},
      priceCredits: row.price_credits,
      queuePriority: row.queue_priority,
    };
    this.definitions.set(row.id, def);
    return def;
  }

  /** Locks the runs (in id order, so concurrent batches cannot deadlock) and loads their snapshots. */
  private async lockRuns(c: PoolClient, ids: string[]): Promise<Map<string, RunState>> {
    const runIds = [...ids].sort();
    const missing = runIds.filter((id) => !this.definitions.has(id));
    const locked = await c.query(
      `SELECT id, status, tenant_id, price_credits, queue_priority, billing_round,
              CASE WHEN id = ANY($2::uuid[]) THEN plan END AS plan,
              CASE WHEN id = ANY($2::uuid[]) THEN seed_inputs END AS seed_inputs
       FROM runs WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [runIds, missing],
    );
    const states = new Map<string, RunState>();
    for (const row of locked.rows) {
      const def = row.plan ? this.remember(row) : this.definitions.get(row.id)!;
      states.set(row.id, { def, billingRound: row.billing_round, snapshot: { runId: def.runId, status: row.status, nodes: {}, seedInputs: def.seedInputs } });
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

  /** Serves what the execution cache holds, then writes everything in a few statements. */
  private async finish(c: PoolClient, states: Map<string, RunState>, applied: AppliedEvents, artifacts: ArtifactRow[]): Promise<ApplyResult> {
    await serveFromCache(c, states, applied);
    const writes = new WriteSet();
    for (const [runId, entries] of applied) {
      const state = states.get(runId)!;
      const generations: Record<string, number> = {};
      for (const [id, n] of Object.entries(state.snapshot.nodes)) generations[id] = n.generation;
      for (const e of entries) writes.add(state.def, e.item, e.decisions, generations);
    }
    await flushWrites(c, writes, artifacts, states);
    return writes.result;
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
