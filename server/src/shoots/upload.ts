import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
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
import multer, { MulterError, type StorageEngine } from 'multer';
import { finalize, type Observable } from 'rxjs';
import type { ArtifactStore } from '@studioflow/runtime/artifacts';
import { clip, megabytes, quote } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ARTIFACT_STORE } from '../db/infra.module';

/** An uploaded photo on disk in the store's staging dir, hashed while it arrived. */
export interface StagedUpload {
  path: string;
  bytes: number;
  sha256: string;
}

/** How long a request waits for an upload slot before a 503 with Retry-After. */
const SLOT_WAIT_MS = 15_000;
const RETRY_AFTER_S = 5;
/** A staged file untouched for this long belongs to no live request: its API process died mid-upload. */
const STALE_STAGED_MS = 60 * 60_000;

/**
 * Receives the multipart `image` field of POST /api/shoots and /api/runs, a bounded number at a time.
 *
 * The file streams to `<STORAGE_DIR>/tmp` and is sha256-hashed on the way (one pass, ~64 KB in memory
 * per upload), so the store can take it by rename. At most MAX_CONCURRENT_UPLOADS requests are between
 * their first body byte and their answer (receive, image check, store); more wait for a slot, and a
 * request that is not given one within SLOT_WAIT_MS gets 503 with Retry-After. A waiting request's body
 * is not read: it stays in the socket buffers, so waiting costs no memory. The temp file is removed
 * however the request ends (stored, 4xx, error, client gone).
 */
@Injectable()
export class UploadInterceptor implements NestInterceptor {
  private readonly slots: SemaphoreInterface;
  private readonly receive: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(ARTIFACT_STORE) store: ArtifactStore) {
    this.slots = withTimeout(new Semaphore(config.maxConcurrentUploads), SLOT_WAIT_MS);
    this.receive = multer({
      storage: new HashingDiskStorage(store.stagingDir),
      limits: { fileSize: config.maxUploadBytes, files: 1 },
    }).single('image');
    // Only stale ones: several API processes may share STORAGE_DIR, and a live upload's file keeps changing.
    void removeStale(store.stagingDir, STALE_STAGED_MS);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const release = await this.slot(res);
    try {
      await new Promise<void>((resolve, reject) => this.receive(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    } catch (err) {
      release(); // multer has removed what it wrote
      throw this.uploadError(err);
    }
    return next.handle().pipe(
      finalize(() => {
        release();
        // Gone already when the store took it; otherwise (4xx, error) it is removed here.
        if (req.file?.path) void rm(req.file.path, { force: true });
      }),
    );
  }

  private async slot(res: Response): Promise<() => void> {
    try {
      const [, release] = await this.slots.acquire();
      return release;
    } catch (err) {
      if (err !== E_TIMEOUT) throw err;
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      throw new ServiceUnavailableException(`too many uploads in progress; retry in ${RETRY_AFTER_S} s`);
    }
  }

  /** Multer's and busboy's errors as the client errors they are; disk errors stay 500s. */
  private uploadError(err: unknown): unknown {
    if (err instanceof MulterError) {
      if (err.code === 'LIMIT_FILE_SIZE') return new PayloadTooLargeException(`the image is larger than the ${megabytes(this.config.maxUploadBytes)} upload limit`);
      return new BadRequestException(`${err.message}${err.field ? ` (field ${quote(err.field)})` : ''}`);
    }
    if (typeof (err as NodeJS.ErrnoException)?.code === 'string') return err; // ENOSPC, EACCES, ...
    return new BadRequestException(`the multipart body could not be read: ${clip(String((err as Error)?.message ?? err), 200)}`);
  }
}

/** The staged upload of this request, if it sent an `image` file. */
export const UploadedImage = createParamDecorator((_: unknown, ctx: ExecutionContext): StagedUpload | undefined => {
  const file = ctx.switchToHttp().getRequest<Request>().file as (Express.Multer.File & { sha256: string }) | undefined;
  return file ? { path: file.path, bytes: file.size, sha256: file.sha256 } : undefined;
});

/** A multer storage engine writing each file to `dir` and hashing it as it streams (one pass). */
export class HashingDiskStorage implements StorageEngine {
  private readonly writes = new WeakMap<object, { abort: AbortController; done: Promise<unknown> }>();

  constructor(private readonly dir: string) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File> & { sha256?: string }) => void): void {
    const path = join(this.dir, `${randomUUID()}.upload`);
    const hash = createHash('sha256');
    let size = 0;
    const abort = new AbortController();
    const done = mkdir(this.dir, { recursive: true }).then(() =>
      pipeline(
        file.stream,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(path),
        { signal: abort.signal },
      ),
    );
    // Known before the write ends, so multer's cleanup after a client abort finds the file.
    file.path = path;
    this.writes.set(file, { abort, done });
    done.then(
      () => cb(null, { path, size, sha256: hash.digest('hex') }),
      (err) => void rm(path, { force: true }).finally(() => cb(err)),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const write = this.writes.get(file);
    write?.abort.abort();
    // Remove only once the write stream is closed, or it could recreate the file.
    void Promise.resolve(write?.done)
      .catch(() => undefined)
      .then(() => rm(file.path, { force: true }))
      .then(() => cb(null), cb);
  }
}

async function removeStale(dir: string, olderThanMs: number): Promise<void> {
  const before = Date.now() - olderThanMs;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < before) await rm(path, { force: true });
  }
}
