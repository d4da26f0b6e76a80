import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { inTransaction } from '@studioflow/runtime/store';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { validateGraph, type GraphDoc } from '@studioflow/runtime/graph';
import { hashKey, keyPrefix } from '../auth/api-keys';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { ExposedParam } from '../db/entities';
import { CATALOG, PG_POOL } from '../db/infra.module';

export interface TemplateFile {
  slug: string;
  name: string;
  description?: string;
  priceCredits?: number;
  exposedParams?: ExposedParam[];
  graph: GraphDoc;
}

export const DEMO_TENANT = 'Demo studio';
/** The operator's home tenant: it holds no shoots or credits; operators act on the platform. */
export const PLATFORM_TENANT = 'Platform';

/** The demo accounts, one per role, signed in with the demo password (STUDIOFLOW_DEMO_PASSWORD). */
export const DEMO_ACCOUNTS = {
  operator: { email: 'operator@studioflow.test', name: 'Olivia Operator' },
  staff: { email: 'staff@studioflow.test', name: 'Sam Staff' },
  reviewer: { email: 'reviewer@studioflow.test', name: 'Riley Reviewer' },
  end_user: { email: 'seller@studioflow.test', name: 'Sasha Seller' },
} as const;

/** The version message of a template as shipped: staff versions say something else. */
const SHIPPED = 'shipped template';

/** First-start data: the demo tenant, its demo accounts and dev keys, and the shipped templates (published). */
@Injectable()
export class SeedService {
  private readonly log = new Logger('seed');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
  ) {}

  async seed(): Promise<{ tenantId: string }> {
    const tenantId = await this.ensureTenant(DEMO_TENANT, 1000);
    const { operator, staff, reviewer, endUser } = this.config.devKeys;
    const platformId = await this.ensureTenant(PLATFORM_TENANT, 0);
    await this.ensureUser(platformId, 'operator', operator);
    const staffId = await this.ensureUser(tenantId, 'staff', staff);
    await this.ensureUser(tenantId, 'reviewer', reviewer);
    await this.ensureUser(tenantId, 'end_user', endUser);
    for (const file of await this.templateFiles()) await this.ensureTemplate(tenantId, staffId, file);
    return { tenantId };
  }

  private async ensureTenant(name: string, credits: number): Promise<string> {
    // The oldest of the name: a shop signed up later under the same name is not the demo tenant.
    const found = await this.pool.query(`SELECT id FROM tenants WHERE name = $1 ORDER BY created_at LIMIT 1`, [name]);
    if (found.rows[0]) return found.rows[0].id;
    const created = await this.pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ($1, $2) RETURNING id`, [name, credits]);
    const id = created.rows[0].id;
    if (credits === 0) return id;
    await this.pool.query(
      `INSERT INTO credit_ledger (tenant_id, kind, amount, reason, idempotency_key) VALUES ($1, 'grant', $2, 'welcome credits', $3)`,
      [id, credits, `grant:welcome:${id}`],
    );
    return id;
  }

  private async ensureUser(tenantId: string, role: keyof typeof DEMO_ACCOUNTS, key: string): Promise<string> {
    const { email, name } = DEMO_ACCOUNTS[role];
    // Databases seeded before web sign-in named the demo accounts @studioflow.local: rename them, keeping their keys and shoots.
    const local = email.replace(/\.test$/, '.local');
    await this.pool.query(
      `UPDATE users SET email = $2 WHERE email = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($2))`,
      [local, email],
    );
    const res = await this.pool.query(
      `INSERT INTO users (tenant_id, email, name, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO UPDATE SET role = EXCLUDED.role RETURNING id, password_hash`,
      [tenantId, email, name, role],
    );
    const userId = res.rows[0].id;
    if (!(await verifyPassword(res.rows[0].password_hash, this.config.demoPassword))) {
      await this.pool.query(`UPDATE users SET password_hash = $2, name = CASE WHEN name = '' THEN $3 ELSE name END WHERE id = $1`, [
        userId,
        await hashPassword(this.config.demoPassword),
        name,
      ]);
    }
    await this.pool.query(
      `INSERT INTO api_keys (user_id, tenant_id, key_hash, key_prefix, label) VALUES ($1, $2, $3, $4, 'dev key')
       ON CONFLICT (key_hash) DO UPDATE SET key_prefix = EXCLUDED.key_prefix WHERE api_keys.key_prefix = ''`,
      [userId, tenantId, hashKey(key), keyPrefix(key)],
    );
    return userId;
  }

  private async templateFiles(): Promise<TemplateFile[]> {
    const names = (await readdir(this.config.templatesDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
    const files: TemplateFile[] = [];
    for (const name of names) files.push(JSON.parse(await readFile(join(this.config.templatesDir, name), 'utf8')));
    return files;
  }

  /**
   * Publishes a shipped template once (public). A later start publishes the shipped file again as a
   * new version when it changed (an upgrade), unless staff have published their own version since.
   */
  private async ensureTemplate(tenantId: string, staffId: string, t: TemplateFile): Promise<void> {
    const shipped = await this.pool.query(
      `SELECT t.id, v.graph_id, v.message, v.doc = $3::jsonb AS same
         FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id
        WHERE t.tenant_id = $1 AND t.slug = $2`,
      [tenantId, t.slug, JSON.stringify(t.graph)],
    );
    if (shipped.rowCount) {
      const row = shipped.rows[0] as { id: string; graph_id: string; message: string; same: boolean };
      if (row.same) return;
      if (!row.message.startsWith(SHIPPED)) {
        this.log.log(`template ${t.slug}: the shipped file changed, but staff published their own version; it stays`);
        return;
      }
      if (this.isValid(t)) await this.updateTemplate(row.id, row.graph_id, staffId, t);
      return;
    }
    if (!this.isValid(t)) return;
    const graph = await this.pool.query(
      `INSERT INTO graphs (tenant_id, name, description, draft) VALUES ($1, $2, $3, $4) RETURNING id`,
      [tenantId, t.name, t.description ?? '', JSON.stringify(t.graph)],
    );
    const version = await this.pool.query(
      `INSERT INTO graph_versions (graph_id, tenant_id, version, doc, message, created_by) VALUES ($1, $2, 1, $3, $4, $5) RETURNING id`,
      [graph.rows[0].id, tenantId, JSON.stringify(t.graph), SHIPPED, staffId],
    );
    const template = await this.pool.query(
      `INSERT INTO templates (tenant_id, slug, name, description, graph_version_id, exposed_params, price_credits, visibility, published_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'public', $8) ON CONFLICT (tenant_id, slug) DO NOTHING RETURNING id`,
      [tenantId, t.slug, t.name, t.description ?? '', version.rows[0].id, JSON.stringify(t.exposedParams ?? []), t.priceCredits ?? 1, staffId],
    );
    await this.pool.query(
      `INSERT INTO template_changes (template_id, tenant_id, changed_by, action, to_version, changes)
       SELECT id, tenant_id, $2, 'published', 1, jsonb_build_object('priceCredits', jsonb_build_object('to', price_credits), 'visibility', jsonb_build_object('to', visibility))
         FROM templates WHERE id = ANY($1::uuid[])`,
      [template.rows.map((r: { id: string }) => r.id), staffId],
    );
    this.log.log(`published template ${t.slug}`);
  }

  private isValid(t: TemplateFile): boolean {
    const check = validateGraph(t.graph, this.catalog.descriptors);
    if (!check.ok) this.log.error(`template ${t.slug} is invalid: ${check.problems.map((p) => p.message).join('; ')}`);
    return check.ok;
  }

  /** The shipped file as the template's next version; the row lock keeps two starting API processes from both adding it. */
  private async updateTemplate(templateId: string, graphId: string, staffId: string, t: TemplateFile): Promise<void> {
    const updated = await inTransaction(this.pool, async (client) => {
      const locked = await client.query(
        `SELECT v.doc = $2::jsonb AS same, v.version FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id WHERE t.id = $1 FOR UPDATE OF t`,
        [templateId, JSON.stringify(t.graph)],
      );
      // Already this file: nothing to write.
      if (locked.rows[0]?.same) return null;
      const version = await client.query(
        `INSERT INTO graph_versions (graph_id, tenant_id, version, doc, message, created_by)
         SELECT $1, tenant_id, (SELECT max(version) + 1 FROM graph_versions WHERE graph_id = $1), $2, $3, $4 FROM graphs WHERE id = $1
         RETURNING id, version`,
        [graphId, JSON.stringify(t.graph), `${SHIPPED} update`, staffId],
      );
      await client.query(
        `UPDATE templates SET graph_version_id = $2, name = $3, description = $4, exposed_params = $5, price_credits = $6,
                revision = revision + 1, updated_at = now()
          WHERE id = $1`,
        [templateId, version.rows[0].id, t.name, t.description ?? '', JSON.stringify(t.exposedParams ?? []), t.priceCredits ?? 1],
      );
      await client.query(
        `INSERT INTO template_changes (template_id, tenant_id, changed_by, action, from_version, to_version, note)
         SELECT $1, tenant_id, $2, 'updated', $3, $4, 'the shipped file changed' FROM templates WHERE id = $1`,
        [templateId, staffId, locked.rows[0].version, version.rows[0].version],
      );
      await client.query(`UPDATE graphs SET draft = $2, name = $3, description = $4 WHERE id = $1`, [graphId, JSON.stringify(t.graph), t.name, t.description ?? '']);
      return version.rows[0].version as number;
    });
    if (updated !== null) this.log.log(`template ${t.slug} updated from its shipped file (version ${updated})`);
  }
}
