import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../auth/decorators';
import { HealthChecks } from './health-checks';

/**
 * Probes for an orchestrator (no key needed; 200 when healthy, 503 with the failing checks otherwise):
 * - live: the process answers HTTP. Restart it when this fails, never because a dependency is down.
 * - ready: PostgreSQL, Redis and the artifact store answer. Route no traffic to this process otherwise.
 * - workers: live workers and waiting jobs per queue; 503 when a queue has jobs and no worker (scale
 *   or restart workers). Not part of ready: API processes cannot fix a missing worker.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: HealthChecks,
  ) {}

  @Public()
  @Get('live')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Public()
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.checks.postgres(), () => this.checks.redisServer(), () => this.checks.artifactStore()]);
  }

  @Public()
  @Get('workers')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  workers(): Promise<HealthCheckResult> {
    return this.health.check([() => this.checks.workers()]);
  }
}
