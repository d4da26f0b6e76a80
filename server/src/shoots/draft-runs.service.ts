import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { canonicalJson, type DraftRunStarted, type GraphDoc, type PinnedTestPhoto } from '@studioflow/runtime/graph';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import type { Principal } from '../auth/access-policy';
import { GraphProblemsException } from '../common/errors';
import { PG_POOL } from '../db/infra.module';
import { GraphsService } from '../graphs/graphs.service';
import { ShootsService, type Photo } from './shoots.service';
import type { StagedUpload } from './upload';
import { UploadsService } from './uploads.service';

/** sha256 of a document's canonical JSON: the same canvas in any key order has one hash. */
export function draftHash(doc: GraphDoc): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

/**
 * Draft runs ("run the canvas as it is", staff, no credits) and the test photo pinned to a graph.
 * A draft run records the exact document it ran in `draft_snapshots` (one row per graph and content
 * hash), never as a version: the version list stays what staff committed.
 */
@Injectable()
export class DraftRunsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly graphs: GraphsService,
    private readonly shoots: ShootsService,
    private readonly uploads: UploadsService,
    private readonly urls: ArtifactUrls,
  ) {}

  /**
   * Validates the document as a commit would (422 with the problems), records it by hash and starts
   * a test run of it on the photo sent, or else on the graph's pinned photo (400 with neither).
   */
  async start(p: Principal, graphId: string, canvas: GraphDoc, image: StagedUpload | undefined, untilNodeId?: string): Promise<DraftRunStarted> {
    const graph = await this.graphs.get(p, graphId);
    // Recorded with the subflow versions it ran (embedded), like a committed version.
    const { ok, problems, withSubflows: doc } = await this.graphs.check(p, canvas);
    if (!ok) throw new GraphProblemsException(problems, 'the canvas is invalid and cannot run');
    const photo: Photo = image ? { image } : await this.shoots.pinnedPhoto(p, graph.id);
    const hash = draftHash(doc);
    // Outside the run's own transaction: a snapshot whose run then fails to start is harmless (deduped, never listed).
    const { rows } = await this.pool.query(
      `INSERT INTO draft_snapshots (tenant_id, graph_id, hash, doc) VALUES ($1, $2, $3, $4)
       ON CONFLICT (graph_id, hash) DO UPDATE SET hash = EXCLUDED.hash RETURNING id`,
      [p.tenantId, graph.id, hash, JSON.stringify(doc)],
    );
    const started = await this.shoots.startTestRun(p, { draftSnapshotId: rows[0].id, graphId: graph.id, doc }, photo, untilNodeId);
    return { ...started, draftHash: hash };
  }

  /** Stores the photo as an upload (checked like any) and pins it to the graph, replacing an earlier one. */
  async pinTestPhoto(p: Principal, graphId: string, image: StagedUpload | undefined): Promise<PinnedTestPhoto> {
    const graph = await this.graphs.get(p, graphId);
    const upload = await this.uploads.store(p, image);
    await this.pool.query(`UPDATE graphs SET test_photo_upload_id = $2 WHERE id = $1`, [graph.id, upload.id]);
    return { uploadId: upload.id, url: this.urls.url(upload.sha256, p.tenantId), mime: upload.mime, bytes: upload.bytes, width: upload.width, height: upload.height };
  }

  /** Unpins it; the upload then ages out under the upload retention like any other. */
  async unpinTestPhoto(p: Principal, graphId: string): Promise<void> {
    const graph = await this.graphs.get(p, graphId);
    await this.pool.query(`UPDATE graphs SET test_photo_upload_id = NULL WHERE id = $1`, [graph.id]);
  }
}
