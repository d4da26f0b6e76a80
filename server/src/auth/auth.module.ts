import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyService } from './api-keys';
import { AuthGuard } from './auth.guard';
import { KeysController } from './keys.controller';

@Global()
@Module({
  controllers: [KeysController],
  providers: [ApiKeyService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeyService],
})
export class AuthModule {}
