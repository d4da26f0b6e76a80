import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import sharp from 'sharp';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { claimBeforeStoring } from '@studioflow/runtime/retention';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { isArtifactRef, type ArtifactRef, type NodeCatalog } from '@studioflow/runtime/contract';
import type { GraphDoc, TemplateListing } from '@studioflow/runtime/graph';
import { startRun } from '@studioflow/runtime/runs';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ARTIFACT_STORE, CATALOG, PG_POOL } from '../db/infra.module';
import { PLATFORM_TENANT } from '../seed/seed.service';
import { TemplatesService } from './templates.service';

/** The bundled photo every template's preview is made from (templates/samples/README.md says how it was made). */
export const SAMPLE_PHOTO = join('samples', 'product-photo.jpg');

/** Which delivered output becomes the card's image, best first: a card is small, the thumbnail is enough. */
const PREVIEW_PORTS = ['thumbnail', 'webp', 'jpeg'];

/** A failed preview run is tried again by an API start at least this long after the last claim. */
const RETRY_AFTER = '5 minutes';

interface VersionToPreview {
  graphVersionId: string;
  graphId: string;
  version: number;
  doc: GraphDoc;
  templateId: string;
  slug: string;
}

/**
 * The preview image on a template's card: the template's graph version run once on the bundled sample
 * photo, by the platform (its own tenant, free: no tenant is charged), through the normal queues and
 * workers. Keyed by graph version (table template_previews), so a new version gets a new preview; the
 * image is the run's delivered output, linked with a signed URL in the template listing.
 */
@Injectable()
export class TemplatePreviewsService {
  private readonly log = new Logger('template-previews');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CATALOG) private readonly catalog: NodeCatalog,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly coordinator: RunCoordinator,
    private readonly urls: ArtifactUrls,
    private readonly templates: TemplatesService,
  ) {}

  /**
   * Starts a preview run for every template whose current version has none yet (or whose last one
   * failed). Called once the API is up, without waiting: the runs go through the workers like any
   * other. A template that cannot run here (no generation provider configured) gets none and keeps
   * its placeholder. Answers the number of runs started.
   */
  async startMissing(): Promise<number> {
    const photo = await this.samplePhoto();
    if (!photo) return 0;
    const platform = await this.platformUser();
    if (!platform) return 0;
    let started = 0;
    for (const v of await this.versionsWithoutPreview()) {
      if (this.templates.needsProvider(v.doc)) continue;
      if (!(await this.claim(v.graphVersionId))) continue;
      try {
        const { runId } = await startRun(this.coordinator, this.catalog.descriptors, {
          tenantId: platform.tenantId,
          userId: platform.userId,
          kind: 'test',
          version: { id: v.graphVersionId, graphId: v.graphId, version: v.version, doc: v.doc },
          template: { id: v.templateId, slug: v.slug },
          params: {},
          materialize: 'consumed',
          place: this.catalog.place,
          seeds: { upload: photo },
          priceCredits: 0,
        });
        await this.pool.query(`UPDATE template_previews SET run_id = $2 WHERE graph_version_id = $1`, [v.graphVersionId, runId]);
        started++;
        this.log.log(`preview of template ${v.slug} (version ${v.version}): run ${runId}`);
      } catch (err) {
        // The claim stays without a run: a later start tries again once RETRY_AFTER has passed.
        this.log.warn(`preview of template ${v.slug} not started: ${(err as Error).message}`);
      }
    }
    return started;
  }

  /** The listing with each template's `previewUrl`, where its current version's preview run delivered one. */
  async withPreviews(listings: TemplateListing[]): Promise<TemplateListing[]> {
    if (listings.length === 0) return listings;
    const { rows } = await this.pool.query<{ graph_version_id: string; tenant_id: string; outputs: Record<string, Record<string, unknown>> | null }>(
      `SELECT p.graph_version_id, r.tenant_id, r.outputs
         FROM template_previews p JOIN runs r ON r.id = p.run_id AND r.status = 'completed'
        WHERE p.graph_version_id = ANY($1::uuid[])`,
      [[...new Set(listings.map((l) => l.graphVersionId))]],
    );
    const previews = new Map<string, string>();
    for (const row of rows) {
      const image = previewImage(row.outputs);
      // Signed for the platform tenant, which owns the preview run's artifacts; the link grants this image only.
      if (image) previews.set(row.graph_version_id, this.urls.url(image.hash, row.tenant_id));
    }
    return listings.map((l) => (previews.has(l.graphVersionId) ? { ...l, previewUrl: previews.get(l.graphVersionId) } : l));
  }

  private async samplePhoto(): Promise<ArtifactRef | null> {
    const path = join(this.config.templatesDir, SAMPLE_PHOTO);
    const bytes = await readFile(path).catch(() => null);
    if (!bytes) {
      this.log.warn(`no sample photo at ${path}: templates get no preview image`);
      return null;
    }
    const { width, height } = await sharp(bytes).metadata();
    await claimBeforeStoring(this.pool, [createHash('sha256').update(bytes).digest('hex')]);
    return this.artifacts.put(bytes, { mime: 'image/jpeg', width, height });
  }

  /** The platform's own user runs the previews: the platform tenant holds no credits and is charged nothing. */
  private async platformUser(): Promise<{ tenantId: string; userId: string } | null> {
    const { rows } = await this.pool.query(
      `SELECT t.id AS "tenantId", u.id AS "userId" FROM tenants t JOIN users u ON u.tenant_id = t.id WHERE t.name = $1 ORDER BY u.created_at LIMIT 1`,
      [PLATFORM_TENANT],
    );
    return rows[0] ?? null;
  }

  private async versionsWithoutPreview(): Promise<VersionToPreview[]> {
    const { rows } = await this.pool.query<VersionToPreview>(
      `SELECT DISTINCT ON (v.id) v.id AS "graphVersionId", v.graph_id AS "graphId", v.version, v.doc, t.id AS "templateId", t.slug
         FROM templates t JOIN graph_versions v ON v.id = t.graph_version_id
        WHERE t.unpublished_at IS NULL AND NOT EXISTS (
          SELECT 1 FROM template_previews p LEFT JOIN runs r ON r.id = p.run_id
           WHERE p.graph_version_id = v.id
             AND ((p.run_id IS NOT NULL AND r.status NOT IN ('failed', 'cancelled')) OR (p.run_id IS NULL AND p.claimed_at > now() - interval '${RETRY_AFTER}')))
        ORDER BY v.id, t.published_at`,
    );
    return rows;
  }

  /**
   * Claims a version's preview run, so two API processes starting at once do not both run it. A
   * claim is taken over when its run failed or was cancelled, or when it never got a run, once
   * RETRY_AFTER has passed since it was made.
   */
  private async claim(graphVersionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO template_previews (graph_version_id) VALUES ($1)
       ON CONFLICT (graph_version_id) DO UPDATE SET run_id = NULL, claimed_at = now()
        WHERE template_previews.claimed_at < now() - interval '${RETRY_AFTER}'
          AND (template_previews.run_id IS NULL
               OR EXISTS (SELECT 1 FROM runs r WHERE r.id = template_previews.run_id AND r.status IN ('failed', 'cancelled')))`,
      [graphVersionId],
    );
    return rowCount === 1;
  }
}

/** The delivered image a preview shows: the best of PREVIEW_PORTS among the run's sink outputs. */
function previewImage(outputs: Record<string, Record<string, unknown>> | null): ArtifactRef | undefined {
  const byPort = new Map<string, ArtifactRef>();
  for (const ports of Object.values(outputs ?? {})) {
    for (const [port, value] of Object.entries(ports)) if (isArtifactRef(value) && value.mime?.startsWith('image/')) byPort.set(port, value);
  }
  for (const port of PREVIEW_PORTS) if (byPort.has(port)) return byPort.get(port);
  return byPort.values().next().value;
}
