import { rm } from 'node:fs/promises';
import {
  BadRequestException,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';
import type { Request, RequestHandler, Response } from 'express';
import multer, { MulterError } from 'multer';
import { finalize, type Observable } from 'rxjs';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { BATCH_FORM } from '@studioflow/runtime/graph';
import { clip, megabytes, quote } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ARTIFACT_STORE } from '../db/infra.module';
import { HashingDiskStorage, type StagedUpload } from '../shoots/upload';

/** Catalog uploads being received and checked at once in this process; more wait, then get 503. */
const BATCH_UPLOAD_SLOTS = 2;
const SLOT_WAIT_MS = 30_000;
const RETRY_AFTER_S = 10;

export interface StagedCatalog {
  archive?: StagedUpload;
  catalog?: StagedUpload;
}

/**
 * Receives POST /api/v1/batches: the `archive` zip and the optional `catalog` CSV stream to the
 * staging dir, hashed on the way (the hashes name the request for its idempotency key). Its own
 * slots, apart from single uploads': a catalog being checked never delays a seller's single photo.
 */
@Injectable()
export class BatchUploadInterceptor implements NestInterceptor {
  private readonly slots: SemaphoreInterface;
  private readonly receive: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(ARTIFACT_STORE) store: ArtifactStore) {
    this.slots = withTimeout(new Semaphore(BATCH_UPLOAD_SLOTS), SLOT_WAIT_MS);
    this.receive = multer({
      storage: new HashingDiskStorage(store.stagingDir),
      limits: { fileSize: config.batches.maxUploadBytes, files: 2 },
    }).fields([
      { name: BATCH_FORM.archive, maxCount: 1 },
      { name: BATCH_FORM.catalog, maxCount: 1 },
    ]);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    let release: () => void;
    try {
      [, release] = await this.slots.acquire();
    } catch (err) {
      if (err !== E_TIMEOUT) throw err;
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      throw new ServiceUnavailableException(`too many catalogs being uploaded; retry in ${RETRY_AFTER_S} s`);
    }
    try {
      await new Promise<void>((resolve, reject) => this.receive(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    } catch (err) {
      release();
      throw this.uploadError(err);
    }
    return next.handle().pipe(
      finalize(() => {
        release();
        for (const file of Object.values(filesOf(req)).flat()) void rm(file.path, { force: true });
      }),
    );
  }

  private uploadError(err: unknown): unknown {
    if (err instanceof MulterError) {
      if (err.code === 'LIMIT_FILE_SIZE') return new PayloadTooLargeException(`the upload is larger than the ${megabytes(this.config.batches.maxUploadBytes)} limit`);
      return new BadRequestException(`${err.message}${err.field ? ` (field ${quote(err.field)})` : ''}`);
    }
    if (typeof (err as NodeJS.ErrnoException)?.code === 'string') return err;
    return new BadRequestException(`the multipart body could not be read: ${clip(String((err as Error)?.message ?? err), 200)}`);
  }
}

function filesOf(req: Request): Record<string, Array<Express.Multer.File & { sha256?: string }>> {
  return (req.files ?? {}) as Record<string, Array<Express.Multer.File & { sha256?: string }>>;
}

/** The staged zip and CSV of this request. */
export const UploadedCatalog = createParamDecorator((_: unknown, ctx: ExecutionContext): StagedCatalog => {
  const files = filesOf(ctx.switchToHttp().getRequest<Request>());
  const staged = (f: (Express.Multer.File & { sha256?: string }) | undefined): StagedUpload | undefined =>
    f ? { path: f.path, bytes: f.size, sha256: f.sha256 ?? '' } : undefined;
  return { archive: staged(files[BATCH_FORM.archive]?.[0]), catalog: staged(files[BATCH_FORM.catalog]?.[0]) };
});
