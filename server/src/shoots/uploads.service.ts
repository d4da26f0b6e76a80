import { randomUUID } from 'node:crypto';
import { Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { Pool } from 'pg';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { claimBeforeStoring } from '@studioflow/runtime/retention';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageSizeProblem } from '@studioflow/nodes';
import type { Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { isUuid, quote } from '../common/errors';
import { checkUploadedImage } from '../common/image-check';
import { ARTIFACT_STORE, PG_POOL } from '../db/infra.module';
import type { StagedUpload } from './upload';

export interface StoredUpload {
  id: string;
  sha256: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
}

/**
 * Photos received ahead of a shoot (POST /api/v1/uploads): checked, put into the artifact store and
 * named by an id that POST /api/v1/shoots accepts instead of the file. Nothing is charged here.
 */
@Injectable()
export class UploadsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  async store(p: Principal, image: StagedUpload | undefined): Promise<StoredUpload> {
    // The working side of the template's input node is checked when a shoot names the upload.
    const checked = await checkUploadedImage(image, { maxPixels: this.config.maxInputPixels, workingSides: [] });
    await claimBeforeStoring(this.pool, [image!.sha256]);
    const ref = await this.artifacts.putFile(image!.path, image!.sha256, image!.bytes, { mime: checked.mime, width: checked.width, height: checked.height });
    const id = randomUUID();
    await this.pool.query(
      `INSERT INTO uploads (id, tenant_id, user_id, hash, mime, bytes, width, height) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, p.tenantId, p.userId, ref.hash, ref.mime, ref.bytes, checked.width, checked.height],
    );
    return { id, sha256: ref.hash, mime: ref.mime, bytes: ref.bytes, width: checked.width, height: checked.height };
  }

  /** An upload of the caller's tenant (an end user's own); anything else answers 404. */
  async find(p: Principal, id: string): Promise<StoredUpload> {
    const scope = p.role === 'end_user' ? ' AND user_id = $3' : '';
    const rows = isUuid(id)
      ? (
          await this.pool.query(
            `SELECT id, hash AS sha256, mime, bytes::float8 AS bytes, width, height FROM uploads WHERE id = $1 AND tenant_id = $2${scope}`,
            p.role === 'end_user' ? [id, p.tenantId, p.userId] : [id, p.tenantId],
          )
        ).rows
      : [];
    if (!rows[0]) throw new NotFoundException(`upload ${quote(id)} not found`);
    return rows[0] as StoredUpload;
  }

  /** The upload as a run's seed, after the checks of the input nodes it feeds (their working sides). */
  asSeed(upload: StoredUpload, workingSides: number[]): ArtifactRef {
    for (const side of workingSides) {
      const problem = inputImageSizeProblem(upload, side);
      if (problem) throw new UnprocessableEntityException(`the image ${problem}`);
    }
    return { hash: upload.sha256, mime: upload.mime, bytes: upload.bytes, width: upload.width, height: upload.height };
  }
}
