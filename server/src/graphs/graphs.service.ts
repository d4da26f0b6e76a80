import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { checkGraph, type GraphDoc, type GraphProblem, type GraphRunSummary, type PinnedTestPhoto } from '@studioflow/runtime/graph';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import type { Principal } from '../auth/access-policy';
import { GraphProblemsException, isUuid, quote } from '../common/errors';
import { GraphEntity, GraphVersionEntity } from '../db/entities';
import { CATALOG } from '../db/infra.module';
import { SubflowsService } from '../subflows/subflows.service';

const EMPTY: GraphDoc = { nodes: [], edges: [] };

/** Graphs: a mutable draft plus immutable numbered versions. */
@Injectable()
export class GraphsService {
  constructor(
    @InjectRepository(GraphEntity) private readonly graphs: Repository<GraphEntity>,
    @InjectRepository(GraphVersionEntity) private readonly versions: Repository<GraphVersionEntity>,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    private readonly subflows: SubflowsService,
    private readonly urls: ArtifactUrls,
  ) {}

  /** The shared validator, subflow instances included (checked against the tenant's subflows as they are now). */
  async validate(p: Principal, doc: unknown): Promise<{ ok: boolean; problems: GraphProblem[] }> {
    const { ok, problems } = await this.check(p, doc);
    return { ok, problems };
  }

  /**
   * Checks a document as it would run: with the subflow versions its instances use now embedded
   * (`withSubflows`, what a commit stores and a draft run records), so the run never changes meaning.
   */
  async check(p: Principal, doc: unknown): Promise<{ ok: boolean; problems: GraphProblem[]; withSubflows: GraphDoc }> {
    const withSubflows = doc && typeof doc === 'object' && Array.isArray((doc as GraphDoc).nodes) ? await this.subflows.withSubflows(p.tenantId, doc as GraphDoc) : doc;
    const { ok, problems } = checkGraph(withSubflows, this.catalog.descriptors);
    return { ok, problems, withSubflows: withSubflows as GraphDoc };
  }

  async list(p: Principal) {
    const rows = await this.db.query(
      `SELECT g.id, g.name, g.description, g.updated_at AS "updatedAt",
              (SELECT max(version) FROM graph_versions v WHERE v.graph_id = g.id) AS "latestVersion"
       FROM graphs g WHERE g.tenant_id = $1 ORDER BY g.updated_at DESC LIMIT 500`,
      [p.tenantId],
    );
    return rows;
  }

  async create(p: Principal, name: string, description: string, draft: GraphDoc = EMPTY): Promise<GraphEntity> {
    return this.graphs.save(this.graphs.create({ tenantId: p.tenantId, name, description, draft }));
  }

  async get(p: Principal, id: string): Promise<GraphEntity> {
    const g = isUuid(id) ? await this.graphs.findOne({ where: { id, tenantId: p.tenantId } }) : null;
    if (!g) throw new NotFoundException(`graph ${quote(id)} not found`);
    return g;
  }

  async detail(p: Principal, id: string) {
    const g = await this.get(p, id);
    const versions = await this.versions.find({
      where: { graphId: g.id },
      order: { version: 'DESC' },
      select: ['id', 'version', 'message', 'createdAt'],
    });
    const { testPhotoUploadId, ...graph } = g;
    return { ...graph, versions, testPhoto: await this.testPhoto(testPhotoUploadId, g.tenantId) };
  }

  /** The photo pinned to a graph (draft runs use it when sent none), with a fresh signed link. */
  private async testPhoto(uploadId: string | null, tenantId: string): Promise<PinnedTestPhoto | null> {
    if (!uploadId) return null;
    const [u] = await this.db.query(`SELECT id, hash, mime, bytes::float8 AS bytes, width, height FROM uploads WHERE id = $1`, [uploadId]);
    return u ? { uploadId: u.id, url: this.urls.url(u.hash, tenantId), mime: u.mime, bytes: u.bytes, width: u.width, height: u.height } : null;
  }

  async saveDraft(p: Principal, id: string, draft: GraphDoc, name?: string) {
    const g = await this.get(p, id);
    g.draft = draft;
    if (name) g.name = name;
    const saved = await this.graphs.save(g);
    return { id: saved.id, updatedAt: saved.updatedAt, problems: (await this.validate(p, draft)).problems };
  }

  /**
   * Freezes the current draft as the next version; refuses (422) an invalid graph. The version
   * carries the subflow versions its instances use (`latest` resolved now), so its runs never change
   * meaning when a subflow gets a new version.
   */
  async commit(p: Principal, id: string, message: string): Promise<GraphVersionEntity> {
    const g = await this.get(p, id);
    const result = await this.check(p, g.draft);
    if (!result.ok) throw new GraphProblemsException(result.problems, 'the draft is invalid and cannot be committed');
    return this.db.transaction(async (m) => {
      await m.query(`SELECT id FROM graphs WHERE id = $1 FOR UPDATE`, [g.id]);
      const [{ next }] = await m.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM graph_versions WHERE graph_id = $1`, [g.id]);
      const v = m.create(GraphVersionEntity, {
        graphId: g.id,
        tenantId: p.tenantId,
        version: next,
        doc: result.withSubflows,
        message,
        createdBy: p.userId,
      });
      return m.save(v);
    });
  }

  /** Runs of any version of this graph and its draft runs (marked with their hash), newest first: the editor's run history. */
  async runs(p: Principal, id: string): Promise<GraphRunSummary[]> {
    const g = await this.get(p, id);
    return this.db.query(
      `SELECT r.id, r.kind, r.status, v.version, r.draft_snapshot_id IS NOT NULL AS draft, rtrim(d.hash) AS "draftHash", r.until_node_id AS "untilNodeId",
              r.parent_run_id AS "parentRunId", r.replay_from AS "replayFrom",
              r.created_at AS "createdAt", r.finished_at AS "finishedAt", r.error,
              r.started_at AS "startedAt", r.cost_usd::float8 AS "costUsd"
       FROM runs r LEFT JOIN graph_versions v ON v.id = r.graph_version_id LEFT JOIN draft_snapshots d ON d.id = r.draft_snapshot_id
       WHERE r.tenant_id = $2 AND (r.graph_version_id IN (SELECT id FROM graph_versions WHERE graph_id = $1)
         OR r.draft_snapshot_id IN (SELECT id FROM draft_snapshots WHERE graph_id = $1))
       ORDER BY r.created_at DESC LIMIT 100`,
      [g.id, p.tenantId],
    );
  }

  async version(p: Principal, id: string, version: number): Promise<GraphVersionEntity> {
    const g = await this.get(p, id);
    const v = await this.versions.findOne({ where: { graphId: g.id, version } });
    if (!v) throw new NotFoundException(`graph ${quote(id)} has no version ${version}`);
    return v;
  }

  async versionById(p: Principal, versionId: string): Promise<GraphVersionEntity> {
    const v = isUuid(versionId) ? await this.versions.findOne({ where: { id: versionId, tenantId: p.tenantId } }) : null;
    if (!v) throw new NotFoundException(`graph version ${quote(versionId)} not found`);
    return v;
  }
}
