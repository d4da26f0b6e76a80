import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The secret that signs artifact URLs when ARTIFACT_URL_SECRET is not set. Drawn once, here, in the
 * migration's transaction: every API process (after a restart too) reads the same row, and no two
 * processes starting together can each invent their own.
 */
export class ArtifactUrlSecret1796224054000 implements MigrationInterface {
  name = 'ArtifactUrlSecret1796224054000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE server_secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO server_secrets (name, value) VALUES ('artifact_url', encode(gen_random_bytes(32), 'base64'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS server_secrets`);
  }
}
