import type { PoolClient } from 'pg';
import { InsufficientCreditsError } from './types';

/** Takes credits; the balance can never go negative (checked in the UPDATE and by a constraint). */
export async function debit(c: PoolClient, items: Array<{ tenantId: string; amount: number }>): Promise<void> {
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
export async function appendLedger(
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
