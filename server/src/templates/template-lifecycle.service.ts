import { ConflictException, Inject, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import {
  missingExposedParams,
  nodeDescriptor,
  type ExposedParam,
  type FieldChange,
  type GraphDoc,
  type ManagedTemplate,
  type TemplateChange,
  type TemplateChangeAction,
  type TemplateLifecycleBody,
  type UpdateTemplateBody,
} from '@studioflow/runtime/graph';
import { compilePlan, GraphInvalidError } from '@studioflow/runtime/scheduler';
import type { Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { GraphProblemsException, isUuid, quote } from '../common/errors';
import { CATALOG, PG_POOL } from '../db/infra.module';
import { TemplatePreviewsService } from './template-previews.service';
import { inTransaction } from '@studioflow/runtime/store';

/** The columns of a ManagedTemplate, from `templates t JOIN graph_versions v` (the version it runs). */
const MANAGED_COLUMNS = `
  t.id, t.slug, t.name, t.description, v.graph_id AS "graphId", t.graph_version_id AS "graphVersionId", v.version,
  (SELECT max(version) FROM graph_versions WHERE graph_id = v.graph_id) AS "latestVersion",
  t.exposed_params AS "exposedParams", t.price_credits AS "priceCredits", t.visibility,
  t.unpublished_at IS NULL AS published, t.published_at AS "publishedAt", u.email AS "publishedBy",
  t.unpublished_at AS "unpublishedAt", t.updated_at AS "updatedAt", t.revision`;
const MANAGED_FROM = `templates t JOIN graph_versions v ON v.id = t.graph_version_id LEFT JOIN users u ON u.id = t.published_by`;

/** The fields a change compares, in changelog order. */
const EDITABLE = ['priceCredits', 'visibility', 'name', 'description', 'exposedParams'] as const;

/**
 * A template's life after its publication, for the tenant's staff: repoint it to another version of
 * its graph, edit its price, name, description, exposed params and visibility, unpublish and
 * republish it; every change is written to its changelog (template_changes) in the same transaction.
 * Each change names the revision the caller saw; under the template's row lock a stale one answers
 * 409 with the template as it is now, so of two staff changing it at once one wins.
 */
@Injectable()
export class TemplateLifecycleService {
  private readonly log = new Logger('template-lifecycle');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    private readonly previews: TemplatePreviewsService,
  ) {}

  /** The tenant's own templates, unpublished ones included, optionally of one graph; newest first. */
  async managed(p: Principal, graphId?: string): Promise<ManagedTemplate[]> {
    if (graphId !== undefined && !isUuid(graphId)) return [];
    const { rows } = await this.pool.query(
      `SELECT ${MANAGED_COLUMNS} FROM ${MANAGED_FROM}
        WHERE t.tenant_id = $1 AND ($2::uuid IS NULL OR v.graph_id = $2)
        ORDER BY t.published_at DESC`,
      [p.tenantId, graphId ?? null],
    );
    return rows.map(managedView);
  }

  async one(p: Principal, id: string, client: Pool | PoolClient = this.pool): Promise<ManagedTemplate> {
    const rows = isUuid(id) ? (await client.query(`SELECT ${MANAGED_COLUMNS} FROM ${MANAGED_FROM} WHERE t.id = $1 AND t.tenant_id = $2`, [id, p.tenantId])).rows : [];
    if (!rows[0]) throw new NotFoundException(`template ${quote(id)} not found`);
    return managedView(rows[0]);
  }

  /** The template's changelog, newest first. */
  async changelog(p: Principal, id: string): Promise<TemplateChange[]> {
    await this.one(p, id);
    const { rows } = await this.pool.query(
      `SELECT c.id::text, c.action, c.changed_at AS "changedAt", u.email AS "changedBy", c.from_version AS "fromVersion",
              c.to_version AS "toVersion", c.changes, c.note
         FROM template_changes c LEFT JOIN users u ON u.id = c.changed_by
        WHERE c.template_id = $1 ORDER BY c.id DESC`,
      [id],
    );
    return rows.map((r) => ({ ...r, changedAt: (r.changedAt as Date).toISOString() }));
  }

  /**
   * Makes the card preview of a version a template now runs (published, repointed, republished): a
   * run through the workers, not waited for; the listing shows it once delivered.
   */
  previewsFollow(): void {
    if (!this.config.templatePreviews) return;
    void this.previews.startMissing().catch((err: unknown) => this.log.warn(`preview not started: ${String(err)}`));
  }

  /** Writes the changelog entry of a new template (POST /templates) and has its card preview made. */
  async recordPublished(p: Principal, templateId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO template_changes (template_id, tenant_id, changed_by, action, to_version, changes)
       SELECT t.id, t.tenant_id, $2, 'published', v.version,
              jsonb_build_object('priceCredits', jsonb_build_object('to', t.price_credits), 'visibility', jsonb_build_object('to', t.visibility))
         FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id WHERE t.id = $1`,
      [templateId, p.userId],
    );
    this.previewsFollow();
  }

  /**
   * Repoints (graphVersionId: another version of the same graph, newer or older) and/or edits the
   * template; what the body leaves out stays. The version must be valid and still have every exposed
   * param (422 naming the missing ones). A new version gets its card preview made.
   */
  async update(p: Principal, id: string, body: UpdateTemplateBody): Promise<ManagedTemplate> {
    const result = await this.locked(p, id, body.revision, async (c, current) => {
      let target = { id: current.graphVersionId, version: current.version, doc: null as GraphDoc | null };
      if (body.graphVersionId !== undefined && body.graphVersionId !== current.graphVersionId) {
        const found = isUuid(body.graphVersionId)
          ? (await c.query(`SELECT id, graph_id, version, doc FROM graph_versions WHERE id = $1 AND tenant_id = $2`, [body.graphVersionId, p.tenantId])).rows[0]
          : undefined;
        if (!found) throw new NotFoundException(`graph version ${quote(body.graphVersionId)} not found`);
        if (found.graph_id !== current.graphId) {
          throw new UnprocessableEntityException(`graph version ${quote(body.graphVersionId)} belongs to another graph: a template is repointed to versions of its own graph`);
        }
        target = { id: found.id, version: found.version, doc: found.doc };
      }
      const exposed = body.exposedParams ?? current.exposedParams;
      if (target.doc || body.exposedParams) {
        const doc = target.doc ?? (await c.query(`SELECT doc FROM graph_versions WHERE id = $1`, [target.id])).rows[0].doc;
        this.checkVersion(doc, target.version, exposed);
      }
      const next = {
        priceCredits: body.priceCredits ?? current.priceCredits,
        visibility: body.visibility ?? current.visibility,
        name: body.name ?? current.name,
        description: body.description ?? current.description,
        exposedParams: exposed,
      };
      const changes: Record<string, FieldChange> = {};
      for (const field of EDITABLE) {
        if (JSON.stringify(next[field]) !== JSON.stringify(current[field])) changes[field] = { from: current[field], to: next[field] };
      }
      const repointed = target.id !== current.graphVersionId;
      if (!repointed && Object.keys(changes).length === 0) return { changed: false, repointed };
      await c.query(
        `UPDATE templates SET graph_version_id = $2, price_credits = $3, visibility = $4, name = $5, description = $6, exposed_params = $7,
                revision = revision + 1, updated_at = now()
          WHERE id = $1`,
        [id, target.id, next.priceCredits, next.visibility, next.name, next.description, JSON.stringify(next.exposedParams)],
      );
      await this.record(c, p, id, 'updated', current.version, target.version, changes, body.note);
      return { changed: true, repointed };
    });
    if (result.repointed) this.previewsFollow();
    return this.one(p, id);
  }

  /** Sellers no longer see or start it; its shoots keep working and stay downloadable. */
  async unpublish(p: Principal, id: string, body: TemplateLifecycleBody): Promise<ManagedTemplate> {
    await this.locked(p, id, body.revision, async (c, current) => {
      if (!current.published) throw new ConflictException({ statusCode: 409, message: `template ${current.slug} is unpublished already`, current });
      await c.query(`UPDATE templates SET unpublished_at = now(), revision = revision + 1, updated_at = now() WHERE id = $1`, [id]);
      await this.record(c, p, id, 'unpublished', current.version, current.version, {}, body.note);
    });
    return this.one(p, id);
  }

  /** Lists it again for sellers, at the version it had (which must still be valid). */
  async republish(p: Principal, id: string, body: TemplateLifecycleBody): Promise<ManagedTemplate> {
    await this.locked(p, id, body.revision, async (c, current) => {
      if (current.published) throw new ConflictException({ statusCode: 409, message: `template ${current.slug} is published already`, current });
      const { rows } = await c.query(`SELECT doc FROM graph_versions WHERE id = $1`, [current.graphVersionId]);
      this.checkVersion(rows[0].doc, current.version, current.exposedParams);
      await c.query(`UPDATE templates SET unpublished_at = NULL, revision = revision + 1, updated_at = now() WHERE id = $1`, [id]);
      await this.record(c, p, id, 'republished', current.version, current.version, {}, body.note);
    });
    this.previewsFollow();
    return this.one(p, id);
  }

  /** 422 when the version has problems or lacks an exposed param. */
  private checkVersion(doc: GraphDoc, version: number, exposed: ExposedParam[]): void {
    // A subflow instance's params are those of the subflow version the graph version carries.
    const missing = missingExposedParams(exposed, doc.nodes, (type) => nodeDescriptor(doc, { id: '', type }, this.catalog.descriptors)?.params.properties);
    if (missing.length) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: `v${version} has no ${missing.map((m) => quote(m)).join(', ')}: the template exposes ${missing.length === 1 ? 'that param' : 'those params'}; unexpose ${missing.length === 1 ? 'it' : 'them'} or pick another version`,
        missingParams: missing,
      });
    }
    try {
      // Compiled as a run would be, without placement: a missing generation provider is this installation's, not the version's problem.
      compilePlan(doc, this.catalog.descriptors);
    } catch (err) {
      if (!(err instanceof GraphInvalidError)) throw err;
      throw new GraphProblemsException(err.problems, `v${version} has problems: ${[...new Set(err.problems.map((x) => x.message))].join('; ')}`);
    }
  }

  /**
   * Runs `work` on the tenant's template under its row lock, once the caller's revision is the
   * current one: a stale revision answers 409 with the template as it is now.
   */
  private async locked<T>(p: Principal, id: string, revision: number, work: (c: PoolClient, current: ManagedTemplate) => Promise<T>): Promise<T> {
    if (!isUuid(id)) throw new NotFoundException(`template ${quote(id)} not found`);
    return inTransaction(this.pool, async (c) => {
      const { rowCount } = await c.query(`SELECT 1 FROM templates WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [id, p.tenantId]);
      if (!rowCount) throw new NotFoundException(`template ${quote(id)} not found`);
      const current = await this.one(p, id, c);
      if (current.revision !== revision) {
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          message: `template ${current.slug} was changed meanwhile (revision ${current.revision}, you saw ${revision}): review its current state and try again`,
          current,
        });
      }
      return work(c, current);
    });
  }


  private async record(
    c: PoolClient,
    p: Principal,
    templateId: string,
    action: TemplateChangeAction,
    fromVersion: number,
    toVersion: number,
    changes: Record<string, FieldChange>,
    note = '',
  ): Promise<void> {
    await c.query(
      `INSERT INTO template_changes (template_id, tenant_id, changed_by, action, from_version, to_version, changes, note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [templateId, p.tenantId, p.userId, action, fromVersion, toVersion, JSON.stringify(changes), note],
    );
  }
}

function managedView(row: Record<string, unknown>): ManagedTemplate {
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
  return {
    ...(row as unknown as ManagedTemplate),
    publishedAt: iso(row.publishedAt)!,
    unpublishedAt: iso(row.unpublishedAt),
    updatedAt: iso(row.updatedAt)!,
  };
}
