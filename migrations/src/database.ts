import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from './index';

/** Applies pending migrations; the schema never changes any other way. */
/** The advisory lock that lets one process at a time apply migrations (any constant unique to Studioflow). */
const MIGRATIONS_LOCK = 7_406_192_031;

/**
 * Applies the pending migrations. Several API processes may start at once: a session-level advisory lock
 * makes the others wait, then find nothing pending, instead of applying the same migration twice.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const lock = new Client({ connectionString: url });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK]);
    const ds = new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'typeorm_migrations', logging: false });
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } finally {
    // Ending the session releases the lock too.
    await lock.end().catch(() => undefined);
  }
}

/** Creates the database in a URL if it does not exist (npm start on a fresh machine). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  // A connection PostgreSQL drops (a restart, pg_terminate_backend) fails the pending query; unheard, it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
