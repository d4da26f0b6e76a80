import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { ReviewService } from './review.service';

const Decision = z.object({
  decision: z.enum(['approve', 'reject', 'retry']),
  nodeId: z.string().max(200).optional(),
  reason: z.string().max(2000).optional(),
  rerunFrom: z.string().max(200).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
}).meta({ examples: [{ decision: 'retry', rerunFrom: 'generate', params: { seed: 1234 }, reason: 'the product is tilted' }] });
type Decision = z.infer<typeof Decision>;

/** The first form of the decision route: the node in the path, `note` for the reason. */
const LegacyDecision = Decision.omit({ nodeId: true, reason: true })
  .extend({ note: z.string().max(2000).optional() })
  .meta({ examples: [{ decision: 'reject', note: 'the label on the bottle is blurred' }] });
type LegacyDecision = z.infer<typeof LegacyDecision>;

/** The reviewer console's API: runs parked at a review node, the decisions that resume them, and their audit trail. */
@ApiTags('review')
@Roles('reviewer')
@Controller('reviews')
export class ReviewController {
  constructor(private readonly reviews: ReviewService) {}

  @Get()
  @ApiOperation({ summary: 'Runs awaiting a review decision, the longest waiting first, with images, scores, instructions, SLA and adjustable params' })
  list(@CurrentPrincipal() p: Principal) {
    return this.reviews.list(p);
  }

  @Get('audit')
  @Roles('staff')
  @ApiOperation({ summary: 'Every review decision of the tenant, newest first (staff)' })
  audit(@CurrentPrincipal() p: Principal, @Query('limit') limit?: string) {
    return this.reviews.audit(p, limit ? Number(limit) || 200 : 200);
  }

  @Get(':runId')
  @ApiOperation({ summary: "A run's open reviews and the audit trail of its decisions" })
  detail(@CurrentPrincipal() p: Principal, @Param('runId') runId: string) {
    return this.reviews.detail(p, runId);
  }

  @Post(':runId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve (the run goes on to delivery), reject with a reason (fails, refunds) or retry an upstream node with checked params; 409 when already decided' })
  @ApiZodBody(Decision)
  decide(@CurrentPrincipal() p: Principal, @Param('runId') runId: string, @Body(new ZodPipe(Decision)) body: Decision) {
    return this.reviews.decide(p, runId, body);
  }

  @Post(':runId/:nodeId')
  @ApiOperation({ summary: 'The same decision with the node in the path (earlier form; `note` is the reason)' })
  @ApiZodBody(LegacyDecision)
  decideNode(@CurrentPrincipal() p: Principal, @Param('runId') runId: string, @Param('nodeId') nodeId: string, @Body(new ZodPipe(LegacyDecision)) body: LegacyDecision) {
    const { note, ...rest } = body;
    return this.reviews.decide(p, runId, { ...rest, nodeId, ...(note ? { reason: note } : {}) });
  }
}
