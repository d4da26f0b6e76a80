import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { admits, type Role } from './access-policy';
import { ApiKeyService } from './api-keys';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';

/** Reads `Authorization: Bearer <key>` or `x-api-key` (never the URL: artifact links are signed), then checks roles. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly keys: ApiKeyService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: unknown }>();
    const key = extractKey(req);
    if (!key) throw new UnauthorizedException('an API key is required (Authorization: Bearer <key>)');
    const principal = await this.keys.resolve(key);
    if (!principal) throw new UnauthorizedException('unknown or revoked API key');
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!admits(roles, principal.role)) {
      throw new ForbiddenException(`this needs one of the roles: ${describeRoles(roles)}`);
    }
    return true;
  }
}

function describeRoles(roles: readonly Role[] | undefined): string {
  if (roles?.includes('operator')) return roles.join(', ');
  return ['staff', ...(roles ?? ['reviewer', 'end_user'])].join(', ');
}

export function extractKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header : undefined;
}
