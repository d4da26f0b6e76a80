import { Body, Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { z } from 'zod';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ApiZodBody, ApiZodResponse, openApiSchema, withFile } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { RateLimit } from '../rate-limit/rate-limit.decorator';
import { ReplayBody, ReplayStarted, RunStarted, TestRunMultipart } from './shoots.schemas';
import { RunDetail, RunLogEntry, RunLogsQuery } from './run-events.schemas';
import { RunEventsService } from './run-events.service';
import { ShootsService } from './shoots.service';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';

/** Runs of a graph version from the editor (staff): start a test run, read any run, replay from a node. */
@ApiTags('runs')
@Controller('runs')
export class RunsController {
  constructor(
    private readonly shoots: ShootsService,
    private readonly runEvents: RunEventsService,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('staff')
  @UseInterceptors(UploadInterceptor)
  @RateLimit('create')
  @ApiOperation({
    summary: 'Staff test run of a graph version (no credits), on the photo sent or else the graph\'s pinned test photo; answers 202 {id, runId} at once',
    requestBody: { required: true, content: { 'multipart/form-data': { schema: withFile(openApiSchema(TestRunMultipart)) } } },
  })
  @ApiZodResponse(202, RunStarted)
  testRun(
    @CurrentPrincipal() p: Principal,
    @UploadedImage() image: StagedUpload | undefined,
    @Body() body: { graphVersionId?: string; untilNodeId?: string },
  ) {
    return this.shoots.submitTestRun(p, body?.graphVersionId, image, body?.untilNodeId || undefined);
  }

  @Get(':id')
  @RateLimit('read')
  @ApiOperation({ summary: 'Status, per-node states and outputs of a run, with the seq of the newest run event it reflects' })
  @ApiZodResponse(200, RunDetail)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.runEvents.snapshot(p, id);
  }

  @Get(':id/logs')
  @RateLimit('read')
  @ApiOperation({ summary: "The lines a run's node runs logged (oldest first; bounded per node run), optionally of one node" })
  @ApiZodResponse(200, z.array(RunLogEntry))
  logs(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query(new ZodPipe(RunLogsQuery, 'query')) query: RunLogsQuery) {
    return this.runEvents.logs(p, id, query.nodeId);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @Roles('staff')
  @ApiOperation({ summary: 'Replay from a node: re-run it and everything downstream, reusing upstream artifacts' })
  @RateLimit('create')
  @ApiZodBody(ReplayBody)
  @ApiZodResponse(202, ReplayStarted)
  replay(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(ReplayBody)) body: ReplayBody) {
    return this.shoots.replay(p, id, body.fromNodeId, body.params);
  }
}
