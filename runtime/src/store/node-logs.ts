import type { Pool, PoolClient } from 'pg';
import type { NodeLogLine, RunLogEntry } from '../graph';

export type NodeLogRow = NodeLogLine & { runId: string; nodeId: string };

/** Keeps node runs' log lines (one statement for the batch), in the transaction that records their completion. */
export async function insertNodeLogs(c: PoolClient, rows: readonly NodeLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO node_logs (run_id, node_id, attempt, level, message, at)
     SELECT l.run_id, l.node_id, l.attempt, l.level, l.message, l.at
     FROM jsonb_to_recordset($1::jsonb) AS l(run_id uuid, node_id text, attempt int, level text, message text, at timestamptz)`,
    [JSON.stringify(rows.map((r) => ({ run_id: r.runId, node_id: r.nodeId, attempt: r.attempt, level: r.level, message: r.message, at: r.at })))],
  );
}

/** A run's kept log lines, oldest first, optionally of one node. */
export async function readNodeLogs(pool: Pool, runId: string, nodeId?: string): Promise<RunLogEntry[]> {
  const { rows } = await pool.query(
    `SELECT node_id, attempt, level, message, at FROM node_logs
     WHERE run_id = $1 AND ($2::text IS NULL OR node_id = $2) ORDER BY id LIMIT 5000`,
    [runId, nodeId ?? null],
  );
  return rows.map((r) => ({ nodeId: r.node_id, attempt: r.attempt, level: r.level, message: r.message, at: new Date(r.at).toISOString() }));
}
