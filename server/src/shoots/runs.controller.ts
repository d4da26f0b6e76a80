import { Body, Controller, Get, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ZodPipe } from '../common/zod-pipe';
import { ShootsService } from './shoots.service';
import { type StagedUpload, UploadedImage, UploadInterceptor } from './upload';

/** What starting a run answers (a shoot is a run too). */
export const RUN_STARTED = {
  type: 'object',
  required: ['id', 'runId'],
  properties: { id: { type: 'string', format: 'uuid', description: 'as GET /api/shoots/:id names it' }, runId: { type: 'string', format: 'uuid', description: 'the same id, as run events name it' } },
};

const REPLAY_STARTED = {
  type: 'object',
  required: ['id', 'runId', 'parentRunId', 'fromNodeId'],
  properties: { id: { type: 'string', format: 'uuid' }, runId: { type: 'string', format: 'uuid' }, parentRunId: { type: 'string', format: 'uuid' }, fromNodeId: { type: 'string' } },
};

const ReplayBody = z.object({ fromNodeId: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() });
type ReplayBody = z.infer<typeof ReplayBody>;

/** Runs of a graph version from the editor (staff): start a test run, read any run, replay from a node. */
@ApiTags('runs')
@Controller('runs')
export class RunsController {
  constructor(private readonly shoots: ShootsService) {}

  @Post()
  @HttpCode(202)
  @Roles('staff')
  @UseInterceptors(UploadInterceptor)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Staff test run of a graph version (no credits); answers 202 {id, runId} at once' })
  @ApiAcceptedResponse({ schema: RUN_STARTED })
  testRun(
    @CurrentPrincipal() p: Principal,
    @UploadedImage() image: StagedUpload | undefined,
    @Body() body: { graphVersionId?: string },
  ) {
    return this.shoots.submitTestRun(p, body?.graphVersionId, image);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, per-node states and outputs of a run' })
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.shoots.get(p, id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @Roles('staff')
  @ApiOperation({ summary: 'Replay from a node: re-run it and everything downstream, reusing upstream artifacts' })
  @ApiAcceptedResponse({ schema: REPLAY_STARTED })
  replay(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(ReplayBody)) body: ReplayBody) {
    return this.shoots.replay(p, id, body.fromNodeId, body.params);
  }
}
