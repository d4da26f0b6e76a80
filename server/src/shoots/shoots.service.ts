import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
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
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { isArtifactRef, type NodeCatalog } from '@studioflow/runtime/contract';
import { checkParams } from '@studioflow/runtime/graph';
import { applyOverrides, compilePlan, GraphInvalidError, TERMINAL_RUN, type RunPlan, type RunStatus } from '@studioflow/runtime/scheduler';
import { InsufficientCreditsError } from '@studioflow/runtime/store';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { GraphProblemsException, isUuid, quote } from '../common/errors';
import { checkUploadedImage } from '../common/image-check';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../common/json-depth';
import { GraphVersionEntity, NodeRunEntity, RunEntity, type TemplateEntity } from '../db/entities';
import { CATALOG, PG_POOL } from '../db/infra.module';
import { GraphsService } from '../graphs/graphs.service';
import { TemplatesService } from '../templates/templates.service';
import type { StagedUpload } from './upload';

export const INPUT_NODE_TYPE = 'input-image';

interface StartOptions {
  version: GraphVersionEntity;
  template?: TemplateEntity;
  params: Record<string, unknown>;
  kind: 'shoot' | 'test';
  priceCredits: number;
  image: StagedUpload | undefined;
}

/** Shoots (end-user task API) and test runs (staff, from the editor): both are runs of a graph version. */
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
    private readonly artifacts: LocalArtifactStore,
    private readonly coordinator: RunCoordinator,
  ) {}

  async submitShoot(p: Principal, templateRef: string | undefined, paramsJson: string | undefined, image: StagedUpload | undefined) {
    if (!templateRef) throw new BadRequestException('templateId is required');
    const template = await this.templates.findUsable(p, templateRef);
    const params = parseParams(paramsJson);
    const exposed = new Map(template.exposedParams.map((e) => [`${e.nodeId}.${e.param}`, e]));
    for (const [key, value] of Object.entries(params)) {
      const e = exposed.get(key);
      if (!e) {
        throw new UnprocessableEntityException(
          `param ${quote(key)} is not exposed by template ${template.slug} (exposed: ${[...exposed.keys()].join(', ') || 'none'})`,
        );
      }
      if (e.allowed && !e.allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
        throw new UnprocessableEntityException(`param ${quote(key)} must be one of ${JSON.stringify(e.allowed)}`);
      }
    }
    const version = await this.versions.findOneByOrFail({ id: template.graphVersionId });
    return this.start(p, { version, template, params, kind: 'shoot', priceCredits: template.priceCredits, image });
  }

  async submitTestRun(p: Principal, graphVersionId: string | undefined, image: StagedUpload | undefined) {
    if (!graphVersionId) throw new BadRequestException('graphVersionId is required');
    const version = await this.graphs.versionById(p, graphVersionId);
    return this.start(p, { version, params: {}, kind: 'test', priceCredits: 0, image });
  }

  private async start(p: Principal, o: StartOptions): Promise<{ taskId: string }> {
    let plan: RunPlan;
    try {
      // A shoot needs its results only; an editor test run shows every node's outputs.
      plan = compilePlan(applyOverrides(o.version.doc, o.params), this.catalog.descriptors, { materialize: o.kind === 'shoot' ? 'consumed' : 'all' });
    } catch (err) {
      if (err instanceof GraphInvalidError) throw new GraphProblemsException(err.problems, 'these params make the graph invalid');
      throw err;
    }
    const inputNodes = plan.order.filter((id) => plan.nodes[id].type === INPUT_NODE_TYPE);
    if (inputNodes.length === 0) throw new UnprocessableEntityException('the graph has no input-image node to receive the photo');
    const workingSides = inputNodes.map((id) => plan.nodes[id].params.maxSide as number);
    const checked = await checkUploadedImage(o.image, { maxPixels: this.config.maxInputPixels, workingSides });
    const runId = randomUUID();
    const upload = await this.artifacts.putFile(o.image!.path, o.image!.sha256, o.image!.bytes, { mime: checked.mime, width: checked.width, height: checked.height });
    await this.pool.query(
      `INSERT INTO artifacts (tenant_id, hash, mime, bytes, width, height, run_id, node_id) VALUES ($1, $2, $3, $4, $5, $6, NULL, 'upload')
       ON CONFLICT DO NOTHING`,
      [p.tenantId, upload.hash, upload.mime, upload.bytes, upload.width, upload.height],
    );
    const seedInputs = Object.fromEntries(inputNodes.map((id) => [id, { upload }]));
    try {
      await this.coordinator.startRuns([
        {
          runId,
          tenantId: p.tenantId,
          userId: p.userId,
          kind: o.kind,
          graphVersionId: o.version.id,
          templateId: o.template?.id ?? null,
          plan,
          info: {
            runId,
            tenantId: p.tenantId,
            graphId: o.version.graphId,
            graphVersion: o.version.version,
            ...(o.template ? { templateId: o.template.slug } : {}),
          },
          seedInputs,
          params: o.params,
          priceCredits: o.priceCredits,
        },
      ]);
    } catch (err) {
      if (err instanceof InsufficientCreditsError) throw new HttpException(err.message, HttpStatus.PAYMENT_REQUIRED);
      throw err;
    }
    return { taskId: runId };
  }

  async get(p: Principal, id: string) {
    const run = isUuid(id) ? await this.runs.findOne({ where: { id, tenantId: p.tenantId } }) : null;
    if (!run) throw new NotFoundException(`shoot ${quote(id)} not found`);
    const [orderRow] = await this.pool.query(`SELECT plan->'order' AS "order" FROM runs WHERE id = $1`, [id]).then((r) => r.rows);
    const order: string[] = orderRow?.order ?? [];
    const nodes = await this.nodeRuns.find({ where: { runId: id } });
    nodes.sort((a, b) => order.indexOf(a.nodeId) - order.indexOf(b.nodeId));
    return {
      id: run.id,
      kind: run.kind,
      status: run.status,
      templateId: run.templateId,
      graphVersionId: run.graphVersionId,
      params: run.params,
      parentRunId: run.parentRunId,
      priceCredits: run.priceCredits,
      error: run.error,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      results: resultUrls(run.outputs),
      nodes: nodes.map((n) => ({
        nodeId: n.nodeId,
        type: n.nodeType,
        state: n.state,
        attempts: n.attempts,
        durationMs: n.durationMs,
        error: n.error,
        outputs: n.outputs ?? {},
        sourceRunId: n.sourceRunId,
        startedAt: n.startedAt,
        finishedAt: n.finishedAt,
      })),
    };
  }

  async list(p: Principal, limit = 50) {
    const rows = await this.runs.find({ where: { tenantId: p.tenantId }, order: { createdAt: 'DESC' }, take: Math.min(limit, 200) });
    return rows.map((r) => ({ id: r.id, kind: r.kind, status: r.status, createdAt: r.createdAt, finishedAt: r.finishedAt, results: resultUrls(r.outputs) }));
  }

  /** Replays a run from one node (staff): a new linked run re-executing that node and what follows. */
  async replay(p: Principal, id: string, fromNodeId: string, params: Record<string, unknown> | undefined) {
    const run = isUuid(id) ? await this.runs.findOne({ where: { id, tenantId: p.tenantId } }) : null;
    if (!run) throw new NotFoundException(`run ${quote(id)} not found`);
    const node = await this.nodeRuns.findOne({ where: { runId: id, nodeId: fromNodeId } });
    if (!node) throw new UnprocessableEntityException(`run ${id} has no node ${quote(fromNodeId)}`);
    if (params) {
      const descriptor = this.catalog.descriptors.find((d) => d.type === node.nodeType)!;
      const def = await this.pool.query(`SELECT plan->'nodes'->$2->'params' AS params FROM runs WHERE id = $1`, [id, fromNodeId]);
      const checked = checkParams(descriptor, { ...def.rows[0].params, ...params });
      if (!checked.ok) throw new GraphProblemsException(checked.errors.map((message) => ({ code: 'invalid_params', nodeId: fromNodeId, message })), 'invalid params');
    }
    const taskId = randomUUID();
    try {
      await this.coordinator.replay(id, fromNodeId, params, taskId, p.userId);
    } catch (err) {
      throw new UnprocessableEntityException((err as Error).message);
    }
    return { taskId, parentRunId: id, fromNodeId };
  }

  async cancel(p: Principal, id: string) {
    const run = isUuid(id) ? await this.runs.findOne({ where: { id, tenantId: p.tenantId } }) : null;
    if (!run) throw new NotFoundException(`shoot ${quote(id)} not found`);
    if (!TERMINAL_RUN.has(run.status as RunStatus)) {
      const result = await this.coordinator.cancel(id, 'cancelled by user');
      if (result.notices.some((n) => n.type === 'run.cancelled')) return { id, cancelled: true };
    }
    // Finished before (or while) we asked: nothing was cancelled; say what it is instead.
    const { status } = await this.runs.findOneByOrFail({ id });
    throw new ConflictException({ statusCode: 409, message: `shoot ${id} is already ${status}`, status });
  }
}

function parseParams(json: string | undefined): Record<string, unknown> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  } catch {
    throw new BadRequestException('params must be a JSON object like {"composite.fill": 0.8}');
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw new BadRequestException(`params is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/** Maps the sink nodes' artifact outputs (jpeg, webp, thumbnail, ...) to download URLs. */
export function resultUrls(outputs: Record<string, Record<string, unknown>> | null): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const ports of Object.values(outputs ?? {})) {
    for (const [port, value] of Object.entries(ports)) if (isArtifactRef(value)) urls[port] = `/api/artifacts/${value.hash}`;
  }
  return urls;
}
