import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/access-policy';
import { ApiZodBody } from '../common/openapi';
import { positiveInt, ZodPipe } from '../common/zod-pipe';
import { CommitBody, CreateGraphBody, SaveDraftBody, ValidateBody } from './graphs.schemas';
import { GraphsService } from './graphs.service';

@ApiTags('graphs')
@Roles('staff')
@Controller('graphs')
export class GraphsController {
  constructor(private readonly graphs: GraphsService) {}

  @Get()
  list(@CurrentPrincipal() p: Principal) {
    return this.graphs.list(p);
  }

  @Post()
  @ApiOperation({ summary: 'Create a graph with an optional draft' })
  @ApiZodBody(CreateGraphBody)
  async create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(CreateGraphBody)) body: CreateGraphBody) {
    return this.graphs.create(p, body.name, body.description ?? '', body.draft as GraphDoc | undefined);
  }

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run the shared validator on a graph document' })
  @ApiZodBody(ValidateBody)
  validate(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(ValidateBody)) body: { graph: unknown }) {
    return this.graphs.validate(p, body.graph);
  }

  @Get(':id')
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.graphs.detail(p, id);
  }

  @Put(':id/draft')
  @ApiOperation({ summary: 'Save the draft (may be invalid); returns its problems' })
  @ApiZodBody(SaveDraftBody)
  saveDraft(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(SaveDraftBody)) body: SaveDraftBody) {
    return this.graphs.saveDraft(p, id, body.draft as GraphDoc, body.name);
  }

  @Post(':id/versions')
  @ApiOperation({ summary: 'Commit the draft as an immutable version (422 with problems if invalid)' })
  @ApiZodBody(CommitBody)
  async commit(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body(new ZodPipe(CommitBody)) body: CommitBody) {
    const v = await this.graphs.commit(p, id, body.message);
    return { id: v.id, version: v.version, createdAt: v.createdAt };
  }

  @Get(':id/runs')
  @ApiOperation({ summary: 'Run history of this graph (all versions)' })
  runs(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.graphs.runs(p, id);
  }

  @Get(':id/versions/:version')
  version(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Param('version', new ZodPipe(positiveInt(), 'version')) version: number) {
    return this.graphs.version(p, id, version);
  }
}
