import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema. Every customer row carries tenant_id. Graph versions are immutable (a trigger
 * refuses updates); ledger entries are append-only with unique keys so a double refund cannot happen.
 */
export class InitialSchema1732480000000 implements MigrationInterface {
  name = 'InitialSchema1732480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        credit_balance integer NOT NULL DEFAULT 0 CHECK (credit_balance >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        email text NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('staff', 'reviewer', 'end_user')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        key_hash text NOT NULL UNIQUE,
        label text NOT NULL DEFAULT '',
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE graphs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        draft jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX graphs_tenant ON graphs (tenant_id, updated_at DESC)`);
    await q.query(`
      CREATE TABLE graph_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        graph_id uuid NOT NULL REFERENCES graphs(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        version integer NOT NULL,
        doc jsonb NOT NULL,
        message text NOT NULL DEFAULT '',
        created_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (graph_id, version)
      )`);
    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME; END $$`);
    await q.query(`CREATE TRIGGER graph_versions_immutable BEFORE UPDATE OR DELETE ON graph_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TABLE templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        slug text NOT NULL UNIQUE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        graph_version_id uuid NOT NULL REFERENCES graph_versions(id),
        exposed_params jsonb NOT NULL DEFAULT '[]',
        price_credits integer NOT NULL DEFAULT 1 CHECK (price_credits >= 0),
        is_public boolean NOT NULL DEFAULT true,
        published_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        user_id uuid REFERENCES users(id),
        kind text NOT NULL DEFAULT 'shoot',
        graph_version_id uuid NOT NULL REFERENCES graph_versions(id),
        template_id uuid REFERENCES templates(id),
        parent_run_id uuid REFERENCES runs(id),
        status text NOT NULL,
        plan jsonb NOT NULL,
        seed_inputs jsonb NOT NULL DEFAULT '{}',
        params jsonb NOT NULL DEFAULT '{}',
        outputs jsonb,
        error text,
        price_credits integer NOT NULL DEFAULT 0,
        billing_round integer NOT NULL DEFAULT 0,
        replay_from text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX runs_tenant ON runs (tenant_id, created_at DESC)`);
    await q.query(`CREATE INDEX runs_active ON runs (status) WHERE status IN ('queued', 'running')`);
    await q.query(`
      CREATE TABLE node_runs (
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        node_id text NOT NULL,
        tenant_id uuid NOT NULL,
        node_type text NOT NULL,
        state text NOT NULL,
        generation integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        outputs jsonb,
        error text,
        queued_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        duration_ms integer,
        params_override jsonb,
        cache_key text,
        source_run_id uuid,
        PRIMARY KEY (run_id, node_id)
      )`);
    await q.query(`CREATE INDEX node_runs_active ON node_runs (state) WHERE state IN ('queued', 'running', 'awaiting_review')`);
    await q.query(`
      CREATE TABLE node_cache (
        tenant_id uuid NOT NULL,
        cache_key text NOT NULL,
        node_type text NOT NULL,
        outputs jsonb NOT NULL,
        run_id uuid NOT NULL,
        node_id text NOT NULL,
        hits integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, cache_key)
      )`);
    await q.query(`
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        run_id uuid NOT NULL REFERENCES runs(id),
        node_id text NOT NULL,
        node_type text NOT NULL,
        error text NOT NULL,
        attempts integer NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'redriven', 'discarded')),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        UNIQUE (run_id, node_id, created_at)
      )`);
    await q.query(`CREATE INDEX dead_letters_open ON dead_letters (tenant_id, created_at DESC) WHERE status = 'open'`);
    await q.query(`
      CREATE TABLE artifacts (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        hash char(64) NOT NULL,
        mime text NOT NULL,
        bytes bigint NOT NULL,
        width integer,
        height integer,
        run_id uuid,
        node_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, hash)
      )`);
    await q.query(`
      CREATE TABLE credit_ledger (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        run_id uuid REFERENCES runs(id),
        kind text NOT NULL CHECK (kind IN ('grant', 'charge', 'refund')),
        amount integer NOT NULL,
        reason text NOT NULL DEFAULT '',
        idempotency_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['dead_letters', 'node_cache', 'credit_ledger', 'artifacts', 'node_runs', 'runs', 'templates', 'graph_versions', 'graphs', 'api_keys', 'users', 'tenants']) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS refuse_change()`);
  }
}
