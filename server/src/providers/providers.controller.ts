import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { ProvidersService } from './providers.service';

/** Scene providers (cloud, local): configuration, breaker state across workers, local server health. */
@ApiTags('providers')
@Controller('providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @Roles('staff', 'operator')
  @ApiOperation({
    summary: 'Scene providers: configured (with how to configure), circuit breaker state (closed/open/half-open, since, failures) per worker, and each local Cog server\'s health and in-flight predictions',
  })
  status() {
    return this.providers.status();
  }
}
