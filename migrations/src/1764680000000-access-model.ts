import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The authorization model: a platform operator role distinct from tenant staff, and templates owned
 * by a tenant with a visibility (`private`: that tenant only; `public`: listed for all) and slugs
 * unique per owner, so one tenant's names neither collide with nor reveal another's.
 */
export class AccessModel1764680000000 implements MigrationInterface {
  name = 'AccessModel1764680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('operator', 'staff', 'reviewer', 'end_user'))`);
    await q.query(`ALTER TABLE templates ADD COLUMN visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public'))`);
    await q.query(`UPDATE templates SET visibility = CASE WHEN is_public THEN 'public' ELSE 'private' END`);
    await q.query(`ALTER TABLE templates DROP COLUMN is_public`);
    await q.query(`ALTER TABLE templates DROP CONSTRAINT IF EXISTS templates_slug_key`);
    await q.query(`ALTER TABLE templates ADD CONSTRAINT templates_owner_slug_key UNIQUE (tenant_id, slug)`);
    await q.query(`CREATE INDEX templates_public_slug ON templates (slug, published_at) WHERE visibility = 'public'`);
    // End users list their own shoots.
    await q.query(`CREATE INDEX IF NOT EXISTS runs_tenant_user_created ON runs (tenant_id, user_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS runs_tenant_user_created`);
    await q.query(`DROP INDEX IF EXISTS templates_public_slug`);
    await q.query(`ALTER TABLE templates DROP CONSTRAINT IF EXISTS templates_owner_slug_key`);
    await q.query(`ALTER TABLE templates ADD COLUMN is_public boolean NOT NULL DEFAULT true`);
    await q.query(`UPDATE templates SET is_public = (visibility = 'public')`);
    await q.query(`ALTER TABLE templates DROP COLUMN visibility`);
    await q.query(`ALTER TABLE templates ADD CONSTRAINT templates_slug_key UNIQUE (slug)`);
    await q.query(`DELETE FROM api_keys WHERE user_id IN (SELECT id FROM users WHERE role = 'operator')`);
    await q.query(`DELETE FROM users WHERE role = 'operator'`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('staff', 'reviewer', 'end_user'))`);
  }
}
