import type { PoolClient } from 'pg';
import type { WriteSet } from './decisions-to-writes';
import { appendLedger, debit } from './ledger';
import type { ArtifactRow, RunState } from './run-state';
import type { RunNotice } from './types';

/**
 * The batched write SQL of one transaction: node and run rows, charges of re-driven runs and refunds,
 * dead letters and artifacts, a few statements however many events the batch holds.
 */
export async function flushWrites(c: PoolClient, writes: WriteSet, artifacts: ArtifactRow[], states: Map<string, RunState>): Promise<void> {
  if (writes.nodes.size) {
    await c.query(
      `UPDATE node_runs n SET state = u.state, generation = u.generation,
         outputs = CASE WHEN u.set_outputs THEN u.outputs ELSE n.outputs END,
         params_override = CASE WHEN u.set_params THEN u.params_override ELSE n.params_override END,
         error = u.error, attempts = COALESCE(u.attempts, n.attempts),
         queued_at = COALESCE(u.queued_at, n.queued_at), started_at = COALESCE(u.started_at, n.started_at),
         finished_at = COALESCE(u.finished_at, n.finished_at), duration_ms = COALESCE(u.duration_ms, n.duration_ms),
         source_run_id = CASE WHEN u.set_outputs THEN NULL ELSE n.source_run_id END,
         cost_usd = CASE WHEN u.set_cost THEN u.cost_usd ELSE n.cost_usd END,
         cost_parts = CASE WHEN u.set_cost THEN u.cost_parts ELSE n.cost_parts END
       FROM jsonb_to_recordset($1::jsonb) AS u(run_id uuid, node_id text, state text, generation int, set_outputs boolean,
         outputs jsonb, error text, attempts int, set_params boolean, params_override jsonb, queued_at timestamptz,
         started_at timestamptz, finished_at timestamptz, duration_ms int, set_cost boolean, cost_usd numeric, cost_parts jsonb)
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
  if (writes.runCosts.size) {
    // Only a node_state decision adds cost, and the scheduler makes one per node generation: a
    // repeated completion adds nothing.
    await c.query(
      `UPDATE runs r SET cost_usd = r.cost_usd + u.usd FROM unnest($1::uuid[], $2::numeric[]) AS u(id, usd) WHERE r.id = u.id`,
      [[...writes.runCosts.keys()], [...writes.runCosts.values()]],
    );
  }
  const completed = writes.result.notices.filter((n): n is Extract<RunNotice, { type: 'run.completed' }> => n.type === 'run.completed');
  if (completed.length) {
    const totals = await c.query(`SELECT id, cost_usd FROM runs WHERE id = ANY($1::uuid[])`, [completed.map((n) => n.runId)]);
    const byRun = new Map(totals.rows.map((r) => [r.id as string, Number(r.cost_usd)]));
    for (const n of completed) n.costUsd = byRun.get(n.runId) ?? 0;
  }
  if (writes.charges.size) {
    // A re-drive opens a new billing round; its charge and any later refund carry the round in their keys.
    const charges = [...writes.charges.values()];
    await debit(c, charges.map((w) => ({ tenantId: w.tenant_id, amount: w.amount })));
    for (const w of charges) states.get(w.run_id)!.billingRound += 1;
    await c.query(`UPDATE runs SET billing_round = billing_round + 1 WHERE id = ANY($1::uuid[])`, [charges.map((w) => w.run_id)]);
    await appendLedger(c, 'charge', charges.map((w) => ({ tenantId: w.tenant_id, runId: w.run_id, amount: w.amount, reason: w.reason, round: states.get(w.run_id)!.billingRound })));
  }
  if (writes.refunds.size) {
    const refunds = [...writes.refunds.values()].map((w) => ({ tenantId: w.tenant_id, runId: w.run_id, amount: w.amount, reason: w.reason, round: states.get(w.run_id)!.billingRound }));
    await appendLedger(c, 'refund', refunds);
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
