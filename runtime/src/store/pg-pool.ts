import pg, { type Pool, type PoolClient, type PoolConfig } from 'pg';

/**
 * A pg pool whose connections never end the process when PostgreSQL drops them.
 *
 * pg-pool hands a new connection to its borrower in the same tick as the server's ReadyForQuery; when
 * a FATAL (a terminated backend, a restart) arrives in the same network chunk, the client emits
 * 'error' before the borrower has attached a listener, and an unheard 'error' ends the process.
 * Every connection therefore gets a listener of its own from birth; a dead connection is still
 * noticed, because its queries fail and the pool discards it on release.
 */
export class ResilientPool extends pg.Pool {
  constructor(config?: PoolConfig) {
    super(config);
    this.on('connect', (client) => client.on('error', ignoreDeadConnection));
  }
}

/** The `pg` module with {@link ResilientPool} in place of its Pool, for TypeORM's `driver` option. */
export const resilientPg = { ...pg, Pool: ResilientPool };

function ignoreDeadConnection(): void {
  // The borrower's query fails with the same error; the idle pool reports it as a pool 'error'.
}

/**
 * Runs `work` on one connection between BEGIN and COMMIT, rolling back when it throws. No retries:
 * callers whose work may be repeated safely retry around it (see PgRunStore).
 */
export async function inTransaction<T>(pool: Pool, work: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const result = await work(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
