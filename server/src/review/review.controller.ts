import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { ZodPipe } from '../common/zod-pipe';
import { ReviewService } from './review.service';

const DecisionBody = z.object({
  decision: z.enum(['approve', 'reject', 'retry']),
  note: z.string().max(2000).optional(),
  rerunFrom: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
}).meta({ examples: [{ decision: 'retry', note: 'logo cut off', rerunFrom: 'scene', params: { seed: 42 } }] });
type DecisionBody = z.infer<typeof DecisionBody>;

/** The reviewer console's API: runs parked at a review node, and the decision that resumes them. */
@ApiTags('review')
@Roles('reviewer')
@Controller('reviews')
export class ReviewController {
  constructor(private readonly reviews: ReviewService) {}

  @Get()
  @ApiOperation({ summary: 'Nodes awaiting a review decision, oldest first' })
  list(@CurrentPrincipal() p: Principal) {
    return this.reviews.list(p);
  }

  @Post(':runId/:nodeId')
  @ApiOperation({ summary: 'Approve, reject (refunds) or retry from an upstream node with adjusted params' })
  @ApiZodBody(DecisionBody)
  decide(
    @CurrentPrincipal() p: Principal,
    @Param('runId') runId: string,
    @Param('nodeId') nodeId: string,
    @Body(new ZodPipe(DecisionBody)) body: DecisionBody,
  ) {
    return this.reviews.decide(p, runId, nodeId, body);
  }
}
