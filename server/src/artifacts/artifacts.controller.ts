import { relative } from 'node:path';
import { Controller, ForbiddenException, Get, NotFoundException, Param, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { readsTenantArtifacts } from '../auth/access-policy';
import { ApiKeyService } from '../auth/api-keys';
import { extractKey } from '../auth/auth.guard';
import { sessionToken } from '../auth/cookies';
import { Public } from '../auth/decorators';
import { SessionService } from '../auth/sessions';
import { ArtifactUrls } from './artifact-urls';
import { ArtifactsService } from './artifacts.service';

@ApiTags('artifacts')
@Controller('artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly store: LocalArtifactStore,
    private readonly urls: ArtifactUrls,
    private readonly keys: ApiKeyService,
    private readonly sessions: SessionService,
  ) {}

  /** Serves an artifact the tenant owns; content-addressed, so it can be cached forever. */
  @Public() // access is decided here: a signed URL needs no key
  @Get(':hash')
  @ApiOperation({ summary: 'An artifact: by the signed URL the API gave (no key), or with an API key in a header' })
  async get(@Req() req: Request, @Param('hash') hash: string, @Res() res: Response): Promise<void> {
    if (!LocalArtifactStore.isHash(hash)) throw new NotFoundException('not an artifact hash');
    const query = req.query as Record<string, unknown>;
    const tenantId = query.sig !== undefined ? this.urls.verify(hash, query) : await this.tenantOfKey(req);
    const mime = await this.artifacts.mimeOf(tenantId, hash);
    if (!mime) throw new NotFoundException(`artifact ${hash} not found`);
    res.setHeader('Content-Type', mime);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    // Relative to the store's root: `send` refuses an absolute path with a dot segment (the default `.storage`).
    res.sendFile(relative(this.store.dir, this.store.pathOf(hash)), { root: this.store.dir }, (err) => {
      if (!err || res.headersSent) return;
      res.removeHeader('Content-Type');
      res.setHeader('Cache-Control', 'no-store');
      res.status(404).json({ statusCode: 404, message: `artifact ${hash} not found` });
    });
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
