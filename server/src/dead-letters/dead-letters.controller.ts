import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { DeadLettersService } from './dead-letters.service';

/** Runs whose node exhausted its retries: browse, re-drive (resume from the failed node) or discard. */
@ApiTags('dead-letters')
@Roles('staff')
@Controller('dead-letters')
export class DeadLettersController {
  constructor(private readonly letters: DeadLettersService) {}

  @Get()
  list(@CurrentPrincipal() p: Principal) {
    return this.letters.list(p);
  }

  @Post(':id/redrive')
  @HttpCode(202)
  @ApiOperation({ summary: 'Resume the run from its failed node (a new billing round)' })
  redrive(@CurrentPrincipal() p: Principal, @Param('id', new ZodPipe(positiveInt(Number.MAX_SAFE_INTEGER), 'id')) id: number) {
    return this.letters.redrive(p, id);
  }

  @Post(':id/discard')
  @HttpCode(200)
  discard(@CurrentPrincipal() p: Principal, @Param('id', new ZodPipe(positiveInt(Number.MAX_SAFE_INTEGER), 'id')) id: number) {
    return this.letters.discard(p, id);
  }
}
