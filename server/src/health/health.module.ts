import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthChecks } from './health-checks';
import { HealthController } from './health.controller';

/** Liveness, readiness and worker probes for orchestrators (see HealthController). */
@Module({
  // Terminus logs every failed probe as an error with its details; the answer already says it all.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty', logger: false })],
  controllers: [HealthController],
  providers: [HealthChecks],
})
export class HealthModule {}
