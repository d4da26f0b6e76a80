import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, Controller, ForbiddenException, Get, Inject, NotFoundException, Param, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { attachment, isArtifactHash, type ArtifactStore } from '@studioflow/runtime/artifacts';
import { readsTenantArtifacts } from '../auth/access-policy';
import { ApiKeyService } from '../auth/api-keys';
import { extractKey } from '../auth/auth.guard';
import { sessionToken } from '../auth/cookies';
import { Public } from '../auth/decorators';
import { SessionService } from '../auth/sessions';
import { ARTIFACT_STORE } from '../db/infra.module';
import { ArtifactUrls } from './artifact-urls';
import { ArtifactsService } from './artifacts.service';
import { ArtifactThumbnails, THUMBNAIL_WIDTHS } from './thumbnails';

/** How long a pre-signed object-store GET behind a redirect works: only to be followed at once. */
const DIRECT_URL_TTL_S = 600;

@ApiTags('artifacts')
@Controller('artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly urls: ArtifactUrls,
    private readonly keys: ApiKeyService,
    private readonly sessions: SessionService,
    private readonly thumbnails: ArtifactThumbnails,
  ) {}

  /**
   * Serves an artifact the tenant owns; content-addressed, so it can be cached forever. The API's
   * signed URL is the one link handed out; behind it, an object store's artifact is a redirect to a
   * pre-signed GET (the bytes never pass through the API), a folder's is streamed from here.
   */
  @Public() // access is decided here: a signed URL needs no key
  @Get(':hash')
  @ApiOperation({ summary: 'An artifact: by the signed URL the API gave (no key), or with an API key in a header' })
  @ApiQuery({ name: 'download', required: false, type: String, description: 'a plain file name: the artifact comes as an attachment under it' })
  @ApiQuery({ name: 'w', required: false, type: Number, description: `an image's thumbnail at most this many pixels wide and high (${THUMBNAIL_WIDTHS.min}-${THUMBNAIL_WIDTHS.max}), as WebP` })
  async get(@Req() req: Request, @Param('hash') hash: string, @Res() res: Response): Promise<void> {
    if (!isArtifactHash(hash)) throw new NotFoundException('not an artifact hash');
    const query = req.query as Record<string, unknown>;
    // Not part of the signature: it changes only how the browser saves what the link grants.
    const filename = query.download;
    if (filename !== undefined && (typeof filename !== 'string' || !/^[\w][\w.-]{0,99}$/.test(filename))) {
      throw new BadRequestException('download must be a plain file name (letters, digits, ".", "-", "_"; at most 100)');
    }
    const width = thumbnailWidth(query.w);
    const tenantId = query.sig !== undefined ? this.urls.verify(hash, query) : await this.tenantOfKey(req);
    const mime = await this.artifacts.mimeOf(tenantId, hash);
    if (!mime) throw new NotFoundException(`artifact ${hash} not found`);
    if (width !== undefined) {
      if (!mime.startsWith('image/')) throw new BadRequestException(`w applies to images; this artifact is ${mime}`);
      let thumbnail: Buffer;
      try {
        thumbnail = await this.thumbnails.get(hash, width);
      } catch {
        throw new NotFoundException(`artifact ${hash} not found`);
      }
      res.setHeader('Content-Type', 'image/webp');
      res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
      res.end(thumbnail);
      return;
    }
    const direct = await this.store.directUrl(hash, { mime, expiresInS: DIRECT_URL_TTL_S, ...(filename ? { filename } : {}) });
    if (direct) {
      // Cached for less than the pre-signed URL lives, so a cached redirect never leads to an expired one.
      res.setHeader('Cache-Control', `private, max-age=${DIRECT_URL_TTL_S / 2}`);
      res.redirect(302, direct);
      return;
    }
    let body: Readable;
    try {
      body = await this.store.createReadStream(hash);
    } catch {
      throw new NotFoundException(`artifact ${hash} not found`);
    }
    res.setHeader('Content-Type', mime);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    if (filename) res.setHeader('Content-Disposition', attachment(filename));
    // A client that goes away mid-download ends the pipeline: nothing more to answer then.
    await pipeline(body, res).catch(() => body.destroy());
  }

  /**
   * API clients send their key in a header, as everywhere else; a key in the URL is not accepted.
   * By key or signed-in session (a GET: no CSRF token), tenant staff and reviewers read the tenant's
   * artifacts; an end user downloads through the signed URLs of their own shoots (the artifacts table
   * cannot tell whose shoot made a file).
   */
  private async tenantOfKey(req: Request): Promise<string> {
    const key = extractKey(req);
    const session = key ? undefined : sessionToken(req);
    const principal = key ? await this.keys.resolve(key) : session ? ((await this.sessions.resolve(session))?.principal ?? null) : null;
    if (!principal) throw new UnauthorizedException('a signed artifact URL, a session or an API key (Authorization: Bearer <key>) is required');
    if (principal.role === 'operator') throw new ForbiddenException('the operator key reads no tenant data');
    if (!readsTenantArtifacts(principal)) throw new NotFoundException('artifact not found: use the signed URL your shoot gives');
    return principal.tenantId;
  }
}

/** `?w=`: absent, or a whole number of pixels in THUMBNAIL_WIDTHS (anything else is a 400). */
function thumbnailWidth(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const width = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(width >= THUMBNAIL_WIDTHS.min && width <= THUMBNAIL_WIDTHS.max)) {
    throw new BadRequestException(`w must be a whole number of pixels from ${THUMBNAIL_WIDTHS.min} to ${THUMBNAIL_WIDTHS.max}`);
  }
  return width;
}
