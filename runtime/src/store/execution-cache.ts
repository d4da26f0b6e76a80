import type { PoolClient } from 'pg';
import type { PortValues } from '../contract';
import { decide, effectiveParams, resolveInputs, type Decision, type SchedulerEvent } from '../scheduler';
import { cacheKey } from './cache-key';
import type { AppliedEvents, RunState } from './run-state';

/** A row of node_cache: outputs of a cacheable node under the key of its params and inputs. */
export interface CacheEntry {
  tenant_id: string;
  cache_key: string;
  node_type: string;
  outputs: PortValues;
  run_id: string;
  node_id: string;
}

/**
 * The cache entry a fresh success of a cacheable node makes, read before the event is applied (its
 * key needs the inputs the node ran with). None for a stale event or a cached success.
 */
export function cacheEntryFor(state: RunState, e: SchedulerEvent): CacheEntry | null {
  const { def } = state;
  if (e.kind !== 'node_succeeded' || e.cached || !def.plan.nodes[e.nodeId]?.cacheable) return null;
  const node = state.snapshot.nodes[e.nodeId];
  if (!node || node.generation !== e.generation || (node.state !== 'queued' && node.state !== 'running')) return null;
  const pn = def.plan.nodes[e.nodeId];
  const key = cacheKey(pn, effectiveParams(def.plan, state.snapshot, e.nodeId), resolveInputs(def.plan, state.snapshot, e.nodeId));
  return { tenant_id: def.tenantId, cache_key: key, node_type: pn.type, outputs: e.outputs, run_id: def.runId, node_id: e.nodeId };
}

/** Stores entries; the first writer of a key wins. */
export async function writeCacheEntries(c: PoolClient, entries: CacheEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await c.query(
    `INSERT INTO node_cache (tenant_id, cache_key, node_type, outputs, run_id, node_id)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(tenant_id uuid, cache_key text, node_type text, outputs jsonb, run_id uuid, node_id text)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(entries)],
  );
}

/**
 * Serves dispatches from the execution cache: a hit completes the node as `cached` without a job,
 * which may make more nodes ready, so it repeats until nothing new is found. Updates `states` and
 * `applied` in place.
 */
export async function serveFromCache(c: PoolClient, states: Map<string, RunState>, applied: AppliedEvents): Promise<void> {
  let lookups = collectCacheable(states, applied, new Set());
  const looked = new Set<Decision>();
  while (lookups.length) {
    for (const l of lookups) looked.add(l.decision);
    const hits = await c.query(
      `UPDATE node_cache SET hits = hits + 1, used_at = now() WHERE (tenant_id, cache_key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
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
}

/** Enqueue decisions of cacheable nodes not looked up yet, with their cache keys. */
function collectCacheable(states: Map<string, RunState>, applied: AppliedEvents, looked: Set<Decision>) {
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
