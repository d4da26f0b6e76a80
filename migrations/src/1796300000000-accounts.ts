import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Web sign-in: users get a display name and an argon2id password hash (null: API keys only), and an
 * email unique whatever its case. Browser sessions and invites store only sha256 hashes of their
 * tokens, so a leaked table signs nobody in.
 */
export class Accounts1796300000000 implements MigrationInterface {
  name = 'Accounts1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN name text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE users ADD COLUMN password_hash text`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash text NOT NULL UNIQUE,
        csrf_hash text NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_agent text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX sessions_user ON sessions (user_id)`);
    await q.query(`CREATE INDEX sessions_expires ON sessions (expires_at)`);
    await q.query(`
      CREATE TABLE invites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash text NOT NULL UNIQUE,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        email text NOT NULL,
        role text NOT NULL CHECK (role IN ('staff', 'reviewer', 'end_user')),
        invited_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_user_id uuid REFERENCES users(id)
      )`);
    await q.query(`CREATE INDEX invites_tenant ON invites (tenant_id, created_at DESC)`);
    // The app lists keys by their first characters (the rest is never stored) and their last use.
    await q.query(`ALTER TABLE api_keys ADD COLUMN key_prefix text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS last_used_at`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS key_prefix`);
    await q.query(`DROP TABLE IF EXISTS invites`);
    await q.query(`DROP TABLE IF EXISTS sessions`);
    await q.query(`DROP INDEX IF EXISTS users_email_lower_key`);
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS password_hash`);
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS name`);
  }
}
