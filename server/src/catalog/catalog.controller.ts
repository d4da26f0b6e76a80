import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { PORT_TYPE_INFO, type NodeTypeDescriptor } from '@studioflow/runtime/graph';
import { Public } from '../auth/decorators';
import { CATALOG } from '../db/infra.module';

@ApiTags('catalog')
@Controller()
export class CatalogController {
  constructor(@Inject(CATALOG) private readonly catalog: NodeCatalog) {}

  @Public()
  @Get('node-types')
  @ApiOperation({ summary: 'Every node type: ports, param JSON Schema, resource, cacheability' })
  nodeTypes(): NodeTypeDescriptor[] {
    return this.catalog.descriptors;
  }

  @Public()
  @Get('port-types')
  @ApiOperation({ summary: 'Port types with their editor colours' })
  portTypes() {
    return PORT_TYPE_INFO;
  }

  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }
}
