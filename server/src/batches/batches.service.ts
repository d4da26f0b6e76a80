import { createHash, randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { Pool } from 'pg';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { claimBeforeStoring } from '@studioflow/runtime/retention';
import { inTransaction } from '@studioflow/runtime/store';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import type { ArtifactRef, NodeCatalog } from '@studioflow/runtime/contract';
import type { BatchDetail, BatchItemStatus, GraphDoc, BatchItemView, BatchProblem, BatchProgress, BatchView } from '@studioflow/runtime/graph';
import { applyOverrides, compilePlan, GraphInvalidError, nodesTakingSeed, type RunPlan } from '@studioflow/runtime/scheduler';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import type { Principal } from '../auth/access-policy';
import { isUuid, quote } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { TemplateEntity } from '../db/entities';
import { ARTIFACT_STORE, CATALOG, PG_POOL } from '../db/infra.module';
import { exposedParamProblems, parseParams } from '../templates/template-params';
import { TemplatesService } from '../templates/templates.service';
import { ADMISSION_LOCK, BatchAdmitter } from './batch-admitter';
import type { StagedCatalog } from './batch-upload';
import { deliveredImages, writeResultsZip } from './batch-results';
import { readCatalog, type CatalogItem } from './catalog-archive';

/** A created batch, or the one an earlier request with the same idempotency key created (200, nothing charged again). */
export interface CreatedBatch {
  status: 201 | 200;
  batch: BatchView;
}

interface BatchRow {
  id: string;
  tenant_id: string;
  template_id: string;
  params: Record<string, unknown>;
  status: 'active' | 'cancelled';
  created_at: Date;
  request_hash: string;
}

const ACTIVE_RUN = `('queued', 'running', 'awaiting_review')`;

/** Batch catalogs: upload (checked up front), progress, cancel, results as a zip, retry of one item. */
@Injectable()
export class BatchesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    private readonly templates: TemplatesService,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly coordinator: RunCoordinator,
    private readonly urls: ArtifactUrls,
    private readonly admitter: BatchAdmitter,
  ) {}

  async create(p: Principal, templateRef: string | undefined, paramsJson: string | undefined, files: StagedCatalog, idempotencyKey?: string): Promise<CreatedBatch> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 200 visible ASCII characters');
    }
    if (!files.archive) throw new BadRequestException('archive is required: a zip of product images (and optionally a catalog CSV)');
    // The request's identity for its idempotency key: the files' hashes and the form fields.
    const requestHash = createHash('sha256')
      .update(JSON.stringify([files.archive.sha256, files.catalog?.sha256 ?? null, templateRef ?? null, paramsJson ?? null]))
      .digest('hex');
    if (idempotencyKey) {
      const earlier = await this.earlier(p, idempotencyKey, requestHash);
      if (earlier) return { status: 200, batch: earlier };
    }
    if (!templateRef) throw new BadRequestException('templateId is required');
    const template = await this.templates.findUsable(p, templateRef);
    const params = parseParams(paramsJson);
    const paramProblems = exposedParamProblems(template, params);
    if (paramProblems.length) throw problemsException(422, paramProblems.map((message) => ({ message })));
    const version = await this.version(template.graphVersionId);
    const plan = this.compile(version.doc, params);
    if (typeof plan === 'string') throw problemsException(422, [{ message: plan }]);
    const inputNodes = nodesTakingSeed(plan, 'upload');
    if (inputNodes.length === 0) throw problemsException(422, [{ message: `template ${template.slug} has no input-image node to receive the photos` }]);

    const csv = files.catalog ? await readFile(files.catalog.path) : undefined;
    const read = await readCatalog(files.archive.path, csv, this.artifacts.stagingDir, {
      maxItems: this.config.batches.maxItems,
      maxTotalBytes: this.config.batches.maxTotalBytes,
      maxImageBytes: this.config.maxUploadBytes,
      maxPixels: this.config.maxInputPixels,
      maxTotalPixels: this.config.batches.maxTotalPixels,
      workingSides: inputNodes.map((id) => plan.nodes[id].params.maxSide as number),
    });
    if (!read.ok) throw problemsException(read.status, read.problems);
    const items = read.items;
    try {
      const itemParams = this.itemParams(template, params, items, version.doc);
      const balance = Number((await this.pool.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [p.tenantId])).rows[0]?.credit_balance ?? 0);
      const cost = items.length * template.priceCredits;
      if (cost > balance) {
        throw new HttpException(`not enough credits: ${items.length} images at ${template.priceCredits} cost ${cost}, the balance is ${balance}`, HttpStatus.PAYMENT_REQUIRED);
      }
      const uploads: ArtifactRef[] = [];
      await claimBeforeStoring(this.pool, items.map((item) => item.staged.sha256));
      for (const item of items) {
        const { path, sha256, bytes } = item.staged;
        uploads.push(await this.artifacts.putFile(path, sha256, bytes, { mime: item.image.mime, width: item.image.width, height: item.image.height }));
      }
      const id = randomUUID();
      const inserted = await this.insert(p, {
        id,
        template,
        graphVersionId: version.id,
        params,
        idempotencyKey: idempotencyKey ?? null,
        requestHash,
        items: items.map((item, i) => ({ item, params: itemParams[i], upload: uploads[i] })),
      });
      if (!inserted) {
        // The same key sent twice at once: the other request's batch stands.
        const earlier = await this.earlier(p, idempotencyKey!, requestHash);
        if (earlier) return { status: 200, batch: earlier };
        throw new ConflictException('another upload with this Idempotency-Key is in progress; retry shortly');
      }
      this.admitter.wake();
      return { status: 201, batch: (await this.views(p, [id]))[0] };
    } finally {
      await Promise.all(items.map((i) => rm(i.staged.path, { force: true })));
    }
  }

  /** The batch an earlier request with this key created; 409 when that request was another. */
  private async earlier(p: Principal, key: string, requestHash: string): Promise<BatchView | null> {
    const row = (await this.pool.query(`SELECT id, request_hash FROM batches WHERE tenant_id = $1 AND idempotency_key = $2`, [p.tenantId, key])).rows[0];
    if (!row) return null;
    if (row.request_hash !== requestHash) {
      throw new ConflictException(`Idempotency-Key ${quote(key)} was used for another catalog upload (batch ${row.id}); use a new key for a new upload`);
    }
    return (await this.views({ ...p, role: 'staff' }, [row.id]))[0];
  }

  /** Each item's params: the batch's, then its CSV row's, then its title where the template exposes a `title` param; all checked. */
  private itemParams(template: TemplateEntity, params: Record<string, unknown>, items: CatalogItem[], doc: GraphDoc): Array<Record<string, unknown>> {
    const titleParam = template.exposedParams.find((e) => e.param === 'title');
    const problems: BatchProblem[] = [];
    const checked = new Map<string, string | undefined>();
    const merged = items.map((item) => {
      const own: Record<string, unknown> = { ...params, ...item.params };
      const titleKey = titleParam ? `${titleParam.nodeId}.${titleParam.param}` : undefined;
      if (titleKey && item.title && !(titleKey in item.params)) own[titleKey] = item.title;
      const key = JSON.stringify(own);
      if (!checked.has(key)) {
        const exposed = exposedParamProblems(template, own);
        const compiled = exposed.length ? undefined : this.compile(doc, own);
        checked.set(key, exposed[0] ?? (typeof compiled === 'string' ? compiled : undefined));
      }
      const problem = checked.get(key);
      if (problem && problems.length < 100) problems.push({ item: item.name, message: problem });
      return own;
    });
    if (problems.length) throw problemsException(422, problems);
    return merged;
  }

  /** The plan a run of these params would run, or why it cannot (bad params, no provider configured). */
  private compile(doc: GraphDoc, params: Record<string, unknown>): RunPlan | string {
    try {
      return compilePlan(applyOverrides(doc, params), this.catalog.descriptors, { materialize: 'consumed', place: this.catalog.place });
    } catch (err) {
      if (err instanceof GraphInvalidError) return `the shoots cannot run with these params: ${err.problems.map((x) => x.message).join('; ')}`;
      throw err;
    }
  }

  private async version(id: string): Promise<{ id: string; doc: GraphDoc }> {
    return (await this.pool.query(`SELECT id, doc FROM graph_versions WHERE id = $1`, [id])).rows[0];
  }

  /** Records the batch and its items in one transaction; false when its idempotency key is taken. */
  private async insert(
    p: Principal,
    b: {
      id: string;
      template: TemplateEntity;
      graphVersionId: string;
      params: Record<string, unknown>;
      idempotencyKey: string | null;
      requestHash: string;
      items: Array<{ item: CatalogItem; params: Record<string, unknown>; upload: ArtifactRef }>;
    },
  ): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const created = await c.query(
        `INSERT INTO batches (id, tenant_id, user_id, template_id, graph_version_id, price_credits, params, item_count, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
        [b.id, p.tenantId, p.userId, b.template.id, b.graphVersionId, b.template.priceCredits, b.params, b.items.length, b.idempotencyKey, b.requestHash],
      );
      // The idempotency key is taken: nothing was written.
      if (created.rowCount === 0) return false;
      await c.query(
        `INSERT INTO batch_items (batch_id, ordinal, tenant_id, name, title, params, upload, run_id)
         SELECT $1, i.ordinal, $2, i.name, i.title, i.params, i.upload, gen_random_uuid()
         FROM jsonb_to_recordset($3::jsonb) AS i(ordinal int, name text, title text, params jsonb, upload jsonb)`,
        [b.id, p.tenantId, JSON.stringify(b.items.map(({ item, params, upload }) => ({ ordinal: item.ordinal, name: item.name, title: item.title, params, upload })))],
      );
      return true;
    });
  }

  /** A batch the caller may see: its tenant's; an end user only their own. Anything else is 404. */
  private async visible(p: Principal, id: string): Promise<BatchRow> {
    const row = isUuid(id)
      ? (
          await this.pool.query(`SELECT * FROM batches WHERE id = $1 AND tenant_id = $2 AND ($3::uuid IS NULL OR user_id = $3)`, [
            id,
            p.tenantId,
            p.role === 'end_user' ? p.userId : null,
          ])
        ).rows[0]
      : undefined;
    if (!row) throw new NotFoundException(`batch ${quote(id)} not found`);
    return row;
  }

  async list(p: Principal, limit: number): Promise<BatchView[]> {
    const ids = (
      await this.pool.query(`SELECT id FROM batches WHERE tenant_id = $1 AND ($2::uuid IS NULL OR user_id = $2) ORDER BY created_at DESC LIMIT $3`, [
        p.tenantId,
        p.role === 'end_user' ? p.userId : null,
        limit,
      ])
    ).rows.map((r) => r.id as string);
    return this.views(p, ids);
  }

  /** Batches with their progress counts and net charge, in the order of `ids`. */
  private async views(p: Principal, ids: string[]): Promise<BatchView[]> {
    if (ids.length === 0) return [];
    const rows = (
      await this.pool.query(
        `SELECT b.id, b.status, b.template_id, b.params, b.created_at,
           count(*)::int AS total,
           count(*) FILTER (WHERE bi.state = 'waiting')::int AS waiting,
           count(*) FILTER (WHERE bi.state = 'admitted' AND (r.status IS NULL OR r.status IN ${ACTIVE_RUN}))::int AS running,
           count(*) FILTER (WHERE bi.state = 'admitted' AND r.status = 'completed')::int AS completed,
           count(*) FILTER (WHERE bi.state = 'rejected' OR (bi.state = 'admitted' AND r.status = 'failed'))::int AS failed,
           count(*) FILTER (WHERE bi.state = 'cancelled' OR (bi.state = 'admitted' AND r.status = 'cancelled'))::int AS cancelled,
           (SELECT coalesce(-sum(l.amount), 0)::int FROM credit_ledger l
              WHERE l.run_id IN (SELECT unnest(x.earlier_run_ids || x.run_id) FROM batch_items x WHERE x.batch_id = b.id)) AS charged
         FROM batches b JOIN batch_items bi ON bi.batch_id = b.id LEFT JOIN runs r ON r.id = bi.run_id
         WHERE b.id = ANY($1::uuid[]) AND b.tenant_id = $2
         GROUP BY b.id`,
        [ids, p.tenantId],
      )
    ).rows;
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      const progress: BatchProgress = { total: r.total, waiting: r.waiting, running: r.running, completed: r.completed, failed: r.failed, cancelled: r.cancelled };
      const status = r.status === 'cancelled' ? 'cancelled' : progress.waiting + progress.running === 0 ? 'done' : 'active';
      return [{ id, status, templateId: r.template_id, params: r.params, createdAt: new Date(r.created_at).toISOString(), progress, chargedCredits: r.charged }];
    });
  }

  async get(p: Principal, id: string): Promise<BatchDetail> {
    await this.visible(p, id);
    const [view] = await this.views(p, [id]);
    const rows = await this.itemRows(id);
    return { ...view, items: rows.map((r) => this.itemView(r)) };
  }

  private async itemRows(batchId: string, ordinal?: number) {
    return (
      await this.pool.query(
        `SELECT bi.ordinal, bi.name, bi.title, bi.state, bi.run_id, bi.attempts, bi.error, r.status AS run_status, r.error AS run_error, r.outputs, r.tenant_id
         FROM batch_items bi LEFT JOIN runs r ON r.id = bi.run_id
         WHERE bi.batch_id = $1 AND ($2::int IS NULL OR bi.ordinal = $2) ORDER BY bi.ordinal`,
        [batchId, ordinal ?? null],
      )
    ).rows;
  }

  private itemView(r: any): BatchItemView {
    const status = itemStatus(r.state, r.run_status);
    return {
      id: r.ordinal,
      name: r.name,
      title: r.title,
      status,
      shootId: r.state === 'admitted' ? r.run_id : null,
      attempts: r.attempts,
      error: r.state === 'rejected' ? r.error : status === 'failed' ? (r.run_error ?? 'the shoot failed') : null,
      results: status === 'completed' ? this.urls.results(r.outputs, r.tenant_id) : {},
    };
  }

  /**
   * Cancels what has not finished: waiting items (never charged, so nothing to refund) and the
   * shoots of admitted ones (each refunded once by the scheduler, its ledger key unique). The
   * admission lock makes an admission round in progress finish first, so no item slips through.
   * Repeating it changes nothing.
   */
  async cancel(p: Principal, id: string): Promise<BatchView> {
    await this.visible(p, id);
    await inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock($1)`, [ADMISSION_LOCK]);
      await c.query(`UPDATE batches SET status = 'cancelled', cancelled_at = now() WHERE id = $1 AND status = 'active'`, [id]);
      await c.query(`UPDATE batch_items SET state = 'cancelled' WHERE batch_id = $1 AND state = 'waiting'`, [id]);
    });
    const running = (
      await this.pool.query(`SELECT r.id FROM batch_items bi JOIN runs r ON r.id = bi.run_id WHERE bi.batch_id = $1 AND r.status IN ${ACTIVE_RUN}`, [id])
    ).rows.map((r) => r.id as string);
    if (running.length) await this.coordinator.applyDirect(running.map((runId) => ({ runId, event: { kind: 'cancel', reason: 'batch cancelled' } })));
    return (await this.views(p, [id]))[0];
  }

  /** A failed item alone, as a new shoot: it waits for admission again and is charged again then (its failed shoot was refunded). */
  async retryItem(p: Principal, id: string, itemId: string): Promise<BatchItemView> {
    const batch = await this.visible(p, id);
    const ordinal = /^\d{1,9}$/.test(itemId) ? Number(itemId) : NaN;
    const [row] = Number.isFinite(ordinal) ? await this.itemRows(id, ordinal) : [];
    if (!row) throw new NotFoundException(`batch ${id} has no item ${quote(itemId)}`);
    if (batch.status === 'cancelled') throw new ConflictException('the batch was cancelled');
    const view = this.itemView(row);
    if (view.status !== 'failed') throw new ConflictException({ statusCode: 409, message: `item ${ordinal} is ${view.status}, not failed`, status: view.status });
    const updated = await this.pool.query(
      `UPDATE batch_items SET earlier_run_ids = CASE WHEN state = 'admitted' THEN earlier_run_ids || run_id ELSE earlier_run_ids END,
         run_id = gen_random_uuid(), state = 'waiting', attempts = attempts + 1, error = NULL, admitted_at = NULL
       WHERE batch_id = $1 AND ordinal = $2 AND run_id = $3`,
      [id, ordinal, row.run_id],
    );
    if (updated.rowCount === 0) throw new ConflictException(`item ${ordinal} is being retried already`);
    this.admitter.wake();
    return this.itemView((await this.itemRows(id, ordinal))[0]);
  }

  /** Every delivered image of the completed items, named after the item, streamed as a zip (batch-results.ts). */
  async writeResults(p: Principal, id: string, out: Writable): Promise<void> {
    await this.visible(p, id);
    const rows = (await this.itemRows(id)).filter((r) => r.state === 'admitted' && r.run_status === 'completed');
    await writeResultsZip(
      rows.map((r) => ({ ordinal: r.ordinal, name: r.name, outputs: r.outputs })),
      (hash) => this.artifacts.createReadStream(hash),
      out,
      (hash) => this.artifacts.has(hash),
    );
  }

  /** Whether the batch delivered images and every one of them is past the delivery retention (deleted). */
  async resultsExpired(p: Principal, id: string): Promise<boolean> {
    await this.visible(p, id);
    const rows = (await this.itemRows(id)).filter((r) => r.state === 'admitted' && r.run_status === 'completed');
    const refs = rows.flatMap((r) => deliveredImages(r.outputs));
    if (refs.length === 0) return false;
    for (const ref of refs) if (await this.artifacts.has(ref.hash)) return false;
    return true;
  }
}

function itemStatus(state: string, runStatus: string | null): BatchItemStatus {
  if (state === 'waiting') return 'waiting';
  if (state === 'cancelled') return 'cancelled';
  if (state === 'rejected') return 'failed';
  return (runStatus ?? 'queued') as BatchItemStatus;
}

function problemsException(status: number, problems: BatchProblem[]): HttpException {
  const first = problems[0]?.item ? `${problems[0].item}: ${problems[0].message}` : problems[0]?.message;
  const message = problems.length === 1 ? `the catalog cannot be accepted: ${first}` : `the catalog has ${problems.length} problems; the first: ${first}`;
  return new HttpException({ statusCode: status, message, problems }, status);
}
