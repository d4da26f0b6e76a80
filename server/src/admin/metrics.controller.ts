import { Controller, ForbiddenException, Get, Header, Inject, Req, UnauthorizedException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { admits } from '../auth/access-policy';
import { ApiKeyService } from '../auth/api-keys';
import { Public } from '../auth/decorators';
import { sameSecret } from '../common/same-secret';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics for the platform operator: they cover every tenant, so a scraper shows the
 * scrape token (METRICS_TOKEN) or the operator's API key.
 */
@ApiTags('admin')
@Controller()
export class MetricsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gauges: MetricsService,
    private readonly keys: ApiKeyService,
  ) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @Header('Cache-Control', 'no-store')
  async metrics(@Req() req: Request): Promise<string> {
    await this.authorize(req.headers.authorization);
    return this.gauges.render();
  }

  /** The scrape token, or an API key of the platform operator. */
  private async authorize(header: string | undefined): Promise<void> {
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!presented) throw new UnauthorizedException('metrics need the scrape token or the operator key (Authorization: Bearer …)');
    if (this.config.metricsToken && sameSecret(presented, this.config.metricsToken)) return;
    const principal = await this.keys.resolve(presented);
    if (!principal) throw new UnauthorizedException('unknown scrape token or API key');
    if (!admits(['operator'], principal.role)) throw new ForbiddenException('metrics cover every tenant: only the platform operator may read them');
  }
}
