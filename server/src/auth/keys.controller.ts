import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe } from '../common/zod-pipe';
import type { Principal } from './access-policy';
import { ApiKeyService } from './api-keys';
import { CurrentPrincipal, Roles } from './decorators';

const CreateKeyBody = z.object({ label: z.string().max(200).default('') });
type CreateKeyBody = z.infer<typeof CreateKeyBody>;

/** API keys: created for the caller (shown once), listed, revoked with immediate effect. */
@ApiTags('keys')
@Roles('staff', 'reviewer', 'end_user', 'operator')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @ApiOperation({ summary: 'Keys the caller may manage (tenant staff: every key of the tenant)' })
  list(@CurrentPrincipal() p: Principal) {
    return this.keys.list(p);
  }

  @Post()
  @ApiOperation({ summary: 'Create a key for the caller; the key is in this answer only' })
  create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(CreateKeyBody)) body: CreateKeyBody) {
    return this.keys.create(p, body.label);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: every API process refuses it from now on' })
  revoke(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.keys.revoke(p, id);
  }
}
