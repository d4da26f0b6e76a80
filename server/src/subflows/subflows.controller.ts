import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { CreateSubflowBody, NewSubflowVersionBody } from './subflows.schemas';
import { SubflowsService } from './subflows.service';

/** Subflows: a group of nodes saved as a reusable node type (`subflow:<id>`), with versions. */
@ApiTags('subflows')
@Roles('staff')
@Controller('subflows')
export class SubflowsController {
  constructor(private readonly subflows: SubflowsService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's subflows, each with its latest version as a node type (`descriptor`: ports, exposed params)" })
  list(@CurrentPrincipal() p: Principal) {
    return this.subflows.list(p);
  }

  @Post()
  @ApiOperation({ summary: 'Create a subflow (version 1) from a graph, its ports and exposed params (422 with problems if they do not fit)' })
  @ApiZodBody(CreateSubflowBody)
  create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(CreateSubflowBody)) body: CreateSubflowBody) {
    return this.subflows.create(p, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A subflow: its versions and its latest definition' })
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.subflows.detail(p, id);
  }

  @Post(':id/versions')
  @ApiOperation({ summary: 'Save an edited subflow as its next version; instances following latest pick it up on their next commit' })
  @ApiZodBody(NewSubflowVersionBody)
  addVersion(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(NewSubflowVersionBody)) body: NewSubflowVersionBody) {
    return this.subflows.addVersion(p, id, body);
  }

  @Get(':id/versions/:version')
  @ApiOperation({ summary: 'One version of a subflow' })
  version(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Param('version', new ZodPipe(positiveInt(), 'version')) version: number) {
    return this.subflows.version(p, id, version);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subflow; committed graph versions keep the definitions they were committed with' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    await this.subflows.remove(p, id);
  }
}
