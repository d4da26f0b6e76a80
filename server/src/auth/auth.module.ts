import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyService } from './api-keys';
import { AuthGuard } from './auth.guard';
import { KeysController } from './keys.controller';
import { LoginLimiter } from './login-limiter';
import { SessionService } from './sessions';

@Global()
@Module({
  controllers: [KeysController],
  providers: [ApiKeyService, SessionService, LoginLimiter, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeyService, SessionService, LoginLimiter],
})
export class AuthModule {}
