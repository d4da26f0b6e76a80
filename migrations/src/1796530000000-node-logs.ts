import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `node_logs`: the lines each node run logged (ctx.log), kept with the run for the editor's debug
 * panel; bounded per node run by the worker host (NodeLogTap), deleted with the run.
 */
export class NodeLogs1796530000000 implements MigrationInterface {
  name = 'NodeLogs1796530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE node_logs (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id text NOT NULL,
        attempt integer NOT NULL,
        level text NOT NULL CHECK (level IN ('info', 'warn', 'error')),
        message text NOT NULL,
        at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX node_logs_run ON node_logs (run_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE node_logs`);
  }
}
