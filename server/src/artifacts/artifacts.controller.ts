import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { relative } from 'node:path';
import type { Response } from 'express';
import type { Pool } from 'pg';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { PG_POOL } from '../db/infra.module';

@ApiTags('artifacts')
@Controller('api/artifacts')
export class ArtifactsController {
  constructor(@Inject(PG_POOL) private readonly pool: Pool, private readonly store: LocalArtifactStore) {}

  /** Serves an artifact the caller's tenant owns; content-addressed, so it can be cached forever. */
  @Get(':hash')
  async get(@CurrentPrincipal() p: Principal, @Param('hash') hash: string, @Res() res: Response): Promise<void> {
    if (!LocalArtifactStore.isHash(hash)) throw new NotFoundException('not an artifact hash');
    const row = (await this.pool.query(`SELECT mime FROM artifacts WHERE tenant_id = $1 AND hash = $2`, [p.tenantId, hash])).rows[0];
    if (!row) throw new NotFoundException(`artifact ${hash} not found`);
    res.setHeader('Content-Type', row.mime);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    // Relative to the store's root: `send` refuses an absolute path with a dot segment (the default `.storage`).
    res.sendFile(relative(this.store.dir, this.store.pathOf(hash)), { root: this.store.dir }, (err) => {
      if (!err || res.headersSent) return;
      res.removeHeader('Content-Type');
      res.setHeader('Cache-Control', 'no-store');
      res.status(404).json({ statusCode: 404, message: `artifact ${hash} not found` });
    });
  }
}
