import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Principal } from '../auth/access-policy';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import { ZodPipe } from '../common/zod-pipe';
import { CostsService } from './costs.service';

const DAY_MS = 24 * 3600 * 1000;

const CostsQuery = z
  .object({
    groupBy: z.enum(['template', 'day']),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
  })
  .transform((q) => {
    const to = q.to ?? new Date();
    return { groupBy: q.groupBy, to, from: q.from ?? new Date(to.getTime() - 30 * DAY_MS) };
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] });
type CostsQuery = z.infer<typeof CostsQuery>;

const COST_SUMS = {
  type: 'object',
  required: ['groupBy', 'from', 'to', 'totalUsd', 'groups'],
  properties: {
    groupBy: { type: 'string', enum: ['template', 'day'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    totalUsd: { type: 'number' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['runs', 'costUsd'],
        properties: {
          templateId: { type: 'string', format: 'uuid', nullable: true, description: 'groupBy=template; null for editor test runs' },
          templateSlug: { type: 'string', nullable: true },
          day: { type: 'string', format: 'date', description: 'groupBy=day (UTC)' },
          runs: { type: 'integer' },
          costUsd: { type: 'number' },
        },
      },
    },
  },
};

/** What the tenant's runs cost (cloud models, GPU time, storage), summed per template or per day: staff only. */
@ApiTags('costs')
@Roles('staff')
@Controller('costs')
export class CostsController {
  constructor(private readonly costs: CostsService) {}

  @Get()
  @ApiOperation({ summary: "Sums of the tenant's run costs (US dollars) per template or per UTC day, for runs created in [from, to)" })
  @ApiQuery({ name: 'groupBy', required: true, schema: { type: 'string', enum: ['template', 'day'] } })
  @ApiQuery({ name: 'from', required: false, schema: { type: 'string', format: 'date-time' }, description: 'default: 30 days before `to`' })
  @ApiQuery({ name: 'to', required: false, schema: { type: 'string', format: 'date-time' }, description: 'default: now' })
  @ApiOkResponse({ schema: COST_SUMS })
  sums(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(CostsQuery, 'query')) query: CostsQuery) {
    return this.costs.sums(p, query);
  }
}
