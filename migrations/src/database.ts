import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from './index';

/** Applies pending migrations; the schema never changes any other way. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'typeorm_migrations', logging: false });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** Creates the database in a URL if it does not exist (npm start on a fresh machine). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}

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
