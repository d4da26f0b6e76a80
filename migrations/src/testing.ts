import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { ensureDatabase, runMigrations } from './database';

export interface ScratchDatabase {
  url: string;
  /** A pool on this database that drop() ends first; its idle clients may not outlive the drop. */
  pool(max?: number): Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file or bench run, so parallel runs never collide. */
export async function createScratchDatabase(label = 'test'): Promise<ScratchDatabase> {
  const base = process.env.STUDIOFLOW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `studioflow_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  await runMigrations(url.toString());
  const pools: Pool[] = [];
  return {
    url: url.toString(),
    pool: (max = 8) => {
      const pool = new Pool({ connectionString: url.toString(), max });
      // DROP … WITH (FORCE) terminates any connection still open; that is expected at teardown.
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    drop: async () => {
      await Promise.all(pools.map((p) => (p.ended ? undefined : p.end().catch(() => undefined))));
      const admin = new URL(base);
      admin.pathname = '/postgres';
      const client = new Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
