import { createHash, randomUUID } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
  GoneException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { claimBeforeStoring } from '@studioflow/runtime/retention';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import type { ArtifactRef, NodeCatalog } from '@studioflow/runtime/contract';
import {
  canonicalJson,
  checkParams,
  cutoutProvenance,
  isArtifactRef,
  type GraphDoc,
  type PortValues,
  type RunDetail,
  type RunGraphSource,
  type RunNodeParams,
  type ShootDownloads,
  type ShootExtras,
} from '@studioflow/runtime/graph';
import { startRun } from '@studioflow/runtime/runs';
import { nodesTakingSeed, GraphInvalidError, TERMINAL_RUN, type RunPlan, type RunStatus } from '@studioflow/runtime/scheduler';
import { InsufficientCreditsError, ReplayUnavailableError } from '@studioflow/runtime/store';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import { runScope, type Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { clip, GraphProblemsException, isUuid, quote } from '../common/errors';
import { checkUploadedImage } from '../common/image-check';
import { GraphVersionEntity, NodeRunEntity, RunEntity, type TemplateEntity } from '../db/entities';
import { ARTIFACT_STORE, CATALOG, PG_POOL } from '../db/infra.module';
import { GraphsService } from '../graphs/graphs.service';
import { checkExposedParams, parseParams } from '../templates/template-params';
import { TemplatesService } from '../templates/templates.service';
import type { StagedUpload } from './upload';
import { UploadsService, type StoredUpload } from './uploads.service';

/** A draft run's recorded document (draft-runs.service.ts): what it runs instead of a committed version. */
export interface DraftSource {
  draftSnapshotId: string;
  graphId: string;
  doc: GraphDoc;
}

interface StartOptions {
  version: GraphVersionEntity | DraftSource;
  template?: TemplateEntity;
  params: Record<string, unknown>;
  kind: 'shoot' | 'test';
  priceCredits: number;
  photo: Photo;
  idempotencyKey?: string;
  idempotencyFingerprint?: string;
  /** "Run to here": only this node and its ancestors run. */
  untilNodeId?: string;
}

/** The photo a run starts from: received with the request, or uploaded earlier. */
export type Photo = { image: StagedUpload | undefined } | { upload: StoredUpload };

/** What a seller asks for: a template, its exposed params, and the photo or an upload's id. */
export interface ShootRequest {
  templateId: string | undefined;
  params: Record<string, unknown>;
  image?: StagedUpload;
  uploadId?: string;
}

/** What starting a run answers: `id`, as GET /api/shoots/:id names the resource, and `runId`, as run events name it. */
export interface StartedRunAnswer {
  id: string;
  runId: string;
}

/** `repeated`: an earlier request with the same Idempotency-Key started it (nothing was charged now). */
export interface StartedShoot extends StartedRunAnswer {
  repeated: boolean;
}

const startedRun = (runId: string): StartedRunAnswer => ({ id: runId, runId });

/** Shoots (runs started from a template by end users) and test runs (staff, from the editor): both are runs of a graph version. */
@Injectable()
export class ShootsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    @Inject(PG_POOL) private readonly pool: Pool,
    @InjectRepository(RunEntity) private readonly runs: Repository<RunEntity>,
    @InjectRepository(NodeRunEntity) private readonly nodeRuns: Repository<NodeRunEntity>,
    @InjectRepository(GraphVersionEntity) private readonly versions: Repository<GraphVersionEntity>,
    private readonly templates: TemplatesService,
    private readonly graphs: GraphsService,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly coordinator: RunCoordinator,
    private readonly urls: ArtifactUrls,
    private readonly uploads: UploadsService,
  ) {}

  /**
   * Starts a shoot from a template, with the photo itself or an earlier upload. With an
   * Idempotency-Key, a repeat of the same request answers the first shoot (`repeated`, nothing
   * charged again) and a repeat with another request is refused with 409.
   */
  async submitShoot(p: Principal, request: ShootRequest, idempotencyKey?: string): Promise<StartedShoot> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 200 visible ASCII characters');
    }
    if (request.image && request.uploadId) throw new BadRequestException('send either the image file or uploadId, not both');
    const upload = request.uploadId ? await this.uploads.find(p, request.uploadId) : undefined;
    const fingerprint = idempotencyKey
      ? requestFingerprint({
          // Keys are per tenant: another seller of the shop reusing one is another request (409), never their shoot.
          userId: p.userId,
          templateId: request.templateId ?? null,
          params: request.params,
          photo: upload?.sha256 ?? request.image?.sha256 ?? null,
        })
      : undefined;
    const earlier = idempotencyKey ? await this.runWithIdempotencyKey(p, idempotencyKey, fingerprint!) : null;
    if (earlier) return { ...earlier, repeated: true };
    if (!request.templateId) throw new BadRequestException('templateId is required');
    const template = await this.templates.findUsable(p, request.templateId);
    const params = request.params;
    checkExposedParams(template, params);
    const version = await this.versions.findOneByOrFail({ id: template.graphVersionId });
    const photo: Photo = upload ? { upload } : { image: request.image };
    const started = await this.start(p, { version, template, params, kind: 'shoot', priceCredits: template.priceCredits, photo, idempotencyKey, idempotencyFingerprint: fingerprint });
    // The same key sent twice at once: the other request's run stands, if it asked for the same.
    if (started.repeated) await this.runWithIdempotencyKey(p, idempotencyKey!, fingerprint!);
    return started;
  }

  private async runWithIdempotencyKey(p: Principal, key: string, fingerprint: string): Promise<StartedRunAnswer | null> {
    const runId = await this.coordinator.runWithIdempotencyKey(p.tenantId, key);
    if (!runId) return null;
    const { rows } = await this.pool.query(`SELECT idempotency_fingerprint FROM runs WHERE id = $1`, [runId]);
    // Runs from before fingerprints were kept have none: they answer as before.
    const stored = rows[0]?.idempotency_fingerprint as string | null;
    if (stored && stored !== fingerprint) {
      throw new ConflictException({
        statusCode: 409,
        message: `Idempotency-Key ${quote(key)} was already used for another request (shoot ${runId}); use a new key for a new shoot`,
        runId,
      });
    }
    return startedRun(runId);
  }

  async submitTestRun(p: Principal, graphVersionId: string | undefined, image: StagedUpload | undefined, untilNodeId?: string) {
    if (!graphVersionId) throw new BadRequestException('graphVersionId is required');
    const version = await this.graphs.versionById(p, graphVersionId);
    return this.startTestRun(p, version, image ? { image } : await this.pinnedPhoto(p, version.graphId), untilNodeId);
  }

  /** The photo a test run sent without one uses: the one pinned to its graph (PUT /api/graphs/:id/test-photo); 400 without. */
  async pinnedPhoto(p: Principal, graphId: string): Promise<Photo> {
    const graph = await this.graphs.get(p, graphId);
    if (!graph.testPhotoUploadId) throw new BadRequestException('send a photo (multipart `image`) or pin a test photo to the graph first');
    return { upload: await this.uploads.find(p, graph.testPhotoUploadId) };
  }

  /** A staff test run (no credits) of a committed version or a draft, optionally only up to one node. */
  async startTestRun(p: Principal, version: GraphVersionEntity | DraftSource, photo: Photo, untilNodeId?: string): Promise<StartedRunAnswer> {
    const started = await this.start(p, { version, params: {}, kind: 'test', priceCredits: 0, photo, untilNodeId });
    return startedRun(started.runId);
  }

  private async start(p: Principal, o: StartOptions): Promise<StartedShoot> {
    try {
      const { runId, repeated } = await startRun(this.coordinator, this.catalog.descriptors, {
        tenantId: p.tenantId,
        userId: p.userId,
        kind: o.kind,
        version: o.version,
        template: o.template,
        params: o.params,
        // A shoot needs its results only; an editor test run shows every node's outputs.
        materialize: o.kind === 'shoot' ? 'consumed' : 'all',
        // A segment with a configured model is placed on the GPU runtime (the API never loads a model).
        place: this.catalog.place,
        untilNodeId: o.untilNodeId,
        seeds: async (plan) => ({ upload: await this.storePhoto(plan, o.photo) }),
        priceCredits: o.priceCredits,
        idempotencyKey: o.idempotencyKey ?? null,
        idempotencyFingerprint: o.idempotencyFingerprint ?? null,
      });
      return { ...startedRun(runId), repeated };
    } catch (err) {
      // The problems themselves in the message: a client that shows only `message` still learns what to fix or configure.
      if (err instanceof GraphInvalidError) {
        // A template that cannot run here whatever the params (no generation provider configured) says so first.
        const needsProvider = o.template ? this.templates.needsProvider(o.version.doc) : undefined;
        const why = [...new Set(err.problems.map((p) => p.message))].join('; ');
        throw new GraphProblemsException(
          err.problems,
          clip(needsProvider ? `template ${o.template!.slug} cannot run: ${needsProvider}` : `the run cannot start (invalid graph, params or configuration): ${why}`, 1000),
        );
      }
      if (err instanceof InsufficientCreditsError) throw new HttpException(err.message, HttpStatus.PAYMENT_REQUIRED);
      throw err;
    }
  }

  /** Checks the photo against the nodes that take it and puts it into the artifact store (an earlier upload is there already). */
  private async storePhoto(plan: RunPlan, photo: Photo): Promise<ArtifactRef> {
    const inputNodes = nodesTakingSeed(plan, 'upload');
    if (inputNodes.length === 0) throw new UnprocessableEntityException('the graph has no input-image node to receive the photo');
    const workingSides = inputNodes.map((id) => plan.nodes[id].params.maxSide as number);
    if ('upload' in photo) return this.uploads.asSeed(photo.upload, workingSides);
    const image = photo.image;
    const checked = await checkUploadedImage(image, { maxPixels: this.config.maxInputPixels, workingSides });
    await claimBeforeStoring(this.pool, [image!.sha256]);
    return this.artifacts.putFile(image!.path, image!.sha256, image!.bytes, { mime: checked.mime, width: checked.width, height: checked.height });
  }

  /** A run the caller may see (access-policy.ts: end users only their own); anything else is 404. */
  private async visibleRun(p: Principal, id: string): Promise<RunEntity> {
    const run = isUuid(id) ? await this.runs.findOne({ where: { id, ...runScope(p) } }) : null;
    if (!run) throw new NotFoundException(`shoot ${quote(id)} not found`);
    return run;
  }

  async get(p: Principal, id: string): Promise<RunDetail> {
    const run = await this.visibleRun(p, id);
    const [orderRow] = await this.pool.query(
      `SELECT r.plan->'order' AS "order", r.plan->'nodes' AS "planNodes", coalesce(v.graph_id, d.graph_id) AS "graphId", v.version, d.hash AS "draftHash", r.until_node_id AS "untilNodeId"
         FROM runs r LEFT JOIN graph_versions v ON v.id = r.graph_version_id LEFT JOIN draft_snapshots d ON d.id = r.draft_snapshot_id
        WHERE r.id = $1`,
      [id],
    ).then((r) => r.rows);
    const order: string[] = orderRow?.order ?? [];
    const nodes = await this.nodeRuns.find({ where: { runId: id } });
    const graph: RunGraphSource = {
      graphId: orderRow.graphId,
      version: orderRow.version ?? null,
      draft: run.draftSnapshotId !== null,
      draftHash: orderRow.draftHash?.trim() ?? null,
      untilNodeId: orderRow.untilNodeId ?? null,
    };
    nodes.sort((a, b) => order.indexOf(a.nodeId) - order.indexOf(b.nodeId));
    const [extra] = await this.summaries([run.id]);
    return {
      ...this.extras(run, nodes, extra),
      id: run.id,
      kind: run.kind,
      status: run.status,
      templateId: run.templateId,
      graphVersionId: run.graphVersionId,
      ...(p.role === 'staff' ? { graph, nodeParams: ranWithParams(orderRow.planNodes ?? {}, nodes) } : {}),
      params: run.params,
      parentRunId: run.parentRunId,
      priceCredits: run.priceCredits,
      costUsd: run.costUsd,
      error: run.error,
      createdAt: run.createdAt.toISOString(),
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      results: this.urls.results(run.outputs, run.tenantId),
      nodes: nodes.map((n) => ({
        nodeId: n.nodeId,
        type: n.nodeType,
        state: n.state,
        attempts: n.attempts,
        durationMs: n.durationMs,
        error: n.error,
        outputs: this.urls.withUrls((n.outputs ?? {}) as PortValues, run.tenantId),
        sourceRunId: n.sourceRunId,
        costUsd: n.costUsd,
        costParts: n.costParts,
        startedAt: n.startedAt?.toISOString() ?? null,
        finishedAt: n.finishedAt?.toISOString() ?? null,
      })),
    };
  }

  /** The newest shoots first, without a cursor (the unversioned /api/shoots answers this array). */
  async list(p: Principal, limit = 50) {
    return (await this.page(p, limit)).items;
  }

  /**
   * One page of the caller's shoots, newest first. The cursor is opaque to clients: the last row's
   * (created_at in microseconds, id), so a walk sees every shoot once even as new ones arrive.
   */
  async page(p: Principal, limit = 50, cursor?: string) {
    const scope = runScope(p);
    const args: unknown[] = [scope.tenantId, Math.min(limit, 200) + 1];
    let where = 'tenant_id = $1';
    if (scope.userId) where += ` AND user_id = $${args.push(scope.userId)}`;
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      where += ` AND (created_at, id) < ('epoch'::timestamptz + $${args.push(after.createdUs)}::bigint * interval '1 microsecond', $${args.push(after.id)}::uuid)`;
    }
    const { rows } = await this.pool.query(
      `SELECT id, kind, status, template_id, price_credits, error, created_at, finished_at, outputs, tenant_id,
              (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us
       FROM runs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
      args,
    );
    const more = rows.length > Math.min(limit, 200);
    const items = rows.slice(0, Math.min(limit, 200));
    const last = items.at(-1);
    const summaries = new Map((await this.summaries(items.map((r) => r.id as string))).map((s) => [s.id, s]));
    return {
      items: items.map((r) => {
        const s = summaries.get(r.id);
        return {
          id: r.id,
          kind: r.kind,
          status: r.status,
          templateId: r.template_id,
          templateName: s?.templateName ?? null,
          priceCredits: r.price_credits,
          refundedCredits: s?.refundedCredits ?? 0,
          /** Share of the run's nodes finished, for a gallery card's bar until it subscribes to the run. */
          progress: s?.progress ?? 0,
          error: r.error,
          createdAt: r.created_at,
          finishedAt: r.finished_at,
          results: this.urls.results(r.outputs, r.tenant_id),
        };
      }),
      nextCursor: more && last ? encodeCursor(last.created_us, last.id) : null,
    };
  }

  /** Per run: its template's name, the credits refunded, and the share of its nodes finished (one query for a page). */
  private async summaries(ids: string[]): Promise<Array<{ id: string; templateName: string | null; refundedCredits: number; progress: number }>> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query(
      `SELECT r.id, t.name AS "templateName",
              (SELECT coalesce(sum(l.amount), 0)::int FROM credit_ledger l WHERE l.run_id = r.id AND l.kind = 'refund') AS "refundedCredits",
              (SELECT coalesce(avg(CASE WHEN n.state IN ('done', 'cached', 'skipped') THEN 1.0 ELSE 0.0 END), 0)::float8
                 FROM node_runs n WHERE n.run_id = r.id) AS progress
         FROM runs r LEFT JOIN templates t ON t.id = r.template_id
        WHERE r.id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }

  /**
   * What the shoot app shows beside the run's state: the photo as the run read it (the input node's
   * image), downloads in JPEG and WebP (the delivered results) and as a transparent PNG (the
   * segmenter's cut-out, already an RGBA PNG artifact of the run), and the credits refunded.
   */
  private extras(run: RunEntity, nodes: NodeRunEntity[], summary: { templateName: string | null; refundedCredits: number } | undefined): ShootExtras {
    const results = this.urls.results(run.outputs, run.tenantId);
    const artifactOf = (type: string, port: string) => {
      const value = nodes.find((n) => n.nodeType === type && n.outputs?.[port])?.outputs?.[port];
      return isArtifactRef(value) ? value : undefined;
    };
    const original = artifactOf('input-image', 'image');
    const cutout = artifactOf('segment', 'cutout');
    const madeBy = cutout && cutoutProvenance(cutout.meta);
    const finished = run.status === 'completed';
    const downloads: ShootDownloads = {};
    if (finished && results.jpeg) downloads.jpeg = results.jpeg;
    if (finished && results.webp) downloads.webp = results.webp;
    if (finished && cutout?.mime === 'image/png') downloads.png = this.urls.url(cutout.hash, run.tenantId);
    return {
      templateName: summary?.templateName ?? null,
      ...(original ? { original: this.urls.url(original.hash, run.tenantId) } : {}),
      ...(madeBy ? { cutout: madeBy } : {}),
      downloads,
      refundedCredits: summary?.refundedCredits ?? 0,
    };
  }

  /** Replays a run from one node (staff): a new linked run re-executing that node and what follows. */
  async replay(p: Principal, id: string, fromNodeId: string, params: Record<string, unknown> | undefined) {
    await this.visibleRun(p, id);
    if (params) await this.checkNodeParams(id, fromNodeId, params, { keepOverrides: false });
    else if (!(await this.nodeRuns.existsBy({ runId: id, nodeId: fromNodeId }))) {
      throw new UnprocessableEntityException(`run ${id} has no node ${quote(fromNodeId)}`);
    }
    const runId = randomUUID();
    try {
      await this.coordinator.replay(id, fromNodeId, params, runId, p.userId);
    } catch (err) {
      // Its photo is past the upload retention: nothing to recompute from.
      if (err instanceof ReplayUnavailableError) throw new GoneException(err.message);
      throw new UnprocessableEntityException((err as Error).message);
    }
    return { ...startedRun(runId), parentRunId: id, fromNodeId };
  }

  /**
   * The one check of new params for a node of an existing run (replay, a reviewer's retry): merged
   * over the plan's params (and, inside the same run, over earlier overrides) they must satisfy the
   * node's schema — unknown params and out-of-range values answer 422.
   */
  async checkNodeParams(runId: string, nodeId: string, params: Record<string, unknown>, o: { keepOverrides: boolean }): Promise<void> {
    const row = (
      await this.pool.query(
        `SELECT r.plan->'nodes'->$2 AS node, n.params_override FROM runs r JOIN node_runs n ON n.run_id = r.id AND n.node_id = $2 WHERE r.id = $1`,
        [runId, nodeId],
      )
    ).rows[0];
    if (!row?.node) throw new UnprocessableEntityException(`run ${runId} has no node ${quote(nodeId)}`);
    const descriptor = this.catalog.descriptors.find((d) => d.type === row.node.type);
    if (!descriptor) throw new UnprocessableEntityException(`node ${quote(nodeId)} has an unknown type`);
    const merged = { ...row.node.params, ...(o.keepOverrides ? row.params_override : {}), ...params };
    const checked = checkParams(descriptor, merged);
    if (!checked.ok) throw new GraphProblemsException(checked.errors.map((message) => ({ code: 'invalid_params', nodeId, message })), 'invalid params');
  }

  async cancel(p: Principal, id: string) {
    const run = await this.visibleRun(p, id);
    if (!TERMINAL_RUN.has(run.status as RunStatus)) {
      const result = await this.coordinator.cancel(id, 'cancelled by user');
      if (result.notices.some((n) => n.type === 'run.cancelled')) return { id, cancelled: true };
    }
    // Finished before (or while) we asked: nothing was cancelled; say what it is instead.
    const { status } = await this.runs.findOneByOrFail({ id });
    throw new ConflictException({ statusCode: 409, message: `shoot ${id} is already ${status}`, status });
  }
}

/** Per node, the params a run ran with (staff see them with a past run): the plan's (a replay's carry its new params), with retry overrides (a gate's, a reviewer's) over them. */
function ranWithParams(planNodes: Record<string, { params?: Record<string, unknown> }>, nodes: NodeRunEntity[]): RunNodeParams {
  const overrides = new Map(nodes.map((n) => [n.nodeId, n.paramsOverride ?? {}]));
  return Object.fromEntries(Object.entries(planNodes).map(([id, n]) => [id, { ...(n.params ?? {}), ...(overrides.get(id) ?? {}) }]));
}

function encodeCursor(createdUs: string, id: string): string {
  return Buffer.from(`${createdUs}.${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdUs: string; id: string } {
  const m = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m || !isUuid(m[2])) throw new BadRequestException('cursor is not one this API gave out (pass nextCursor as it came)');
  return { createdUs: m[1], id: m[2] };
}

/** A stable hash of what a keyed request asks for: the same request in any key order hashes the same. */
function requestFingerprint(request: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(request)).digest('base64url');
}


