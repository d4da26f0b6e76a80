import { ConflictException, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ArtifactGcService } from './artifact-gc.service';

/** The platform operator's view of artifact retention: the policy, what a pass would delete, a pass now. */
@ApiTags('admin')
@Roles('operator')
@Controller('admin/artifact-gc')
export class ArtifactGcController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gc: ArtifactGcService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Dry run: the retention policy and what the collector would delete now; changes nothing' })
  async dryRun() {
    const { intermediateDays, uploadDays, deliveryDays, graceMs, batchSize, intervalMs } = this.config.retention;
    return { policy: { intermediateDays, uploadDays, deliveryDays, graceMinutes: graceMs / 60_000, batchSize, intervalMinutes: intervalMs / 60_000 }, ...(await this.gc.dryRun()) };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Run one collector pass now (409 while another process runs one)' })
  async collect() {
    const report = await this.gc.collect();
    if (!report) throw new ConflictException('another process is collecting right now; try again when its pass ends');
    return report;
  }
}
