import { Body, ConflictException, Controller, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { ApiZodBody } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ArtifactGcService } from './artifact-gc.service';
import { TenantRetentionBody } from './retention.schemas';

/** The platform operator's view of artifact retention: the policy, what a pass would delete, a pass now, a tenant's own retention. */
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

  @Put('tenants/:tenantId')
  @ApiOperation({ summary: "Set a tenant's own upload and delivery retention (null: the platform default)" })
  @ApiZodBody(TenantRetentionBody)
  setTenantRetention(@Param('tenantId') tenantId: string, @Body(new ZodPipe(TenantRetentionBody)) body: TenantRetentionBody) {
    return this.gc.setTenantRetention(tenantId, body);
  }
}
