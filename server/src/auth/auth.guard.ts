import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CSRF_HEADER } from '@studioflow/runtime/graph';
import { admits, type Principal, type Role } from './access-policy';
import { ApiKeyService } from './api-keys';
import { sessionToken } from './cookies';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';
import { csrfMatches, SessionService } from './sessions';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates by `Authorization: Bearer <key>` or `x-api-key` (never the URL: artifact links are
 * signed), else by the browser session cookie, then checks roles. A cookie travels with every request
 * the browser makes, a page on another site's too: so a state-changing request authenticated by it
 * must echo the session's CSRF token in a header. An API key is never sent by the browser on its own.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await this.authenticate(req);
    req.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!admits(roles, principal.role)) {
      throw new ForbiddenException(`this needs one of the roles: ${describeRoles(roles)}`);
    }
    return true;
  }

  private async authenticate(req: Request): Promise<Principal> {
    const key = extractKey(req);
    if (key) {
      const principal = await this.keys.resolve(key);
      if (!principal) throw new UnauthorizedException('unknown or revoked API key');
      return principal;
    }
    const token = sessionToken(req);
    const session = token ? await this.sessions.resolve(token) : null;
    if (!session) {
      throw new UnauthorizedException(token ? 'the session has ended; sign in again' : 'sign in, or send an API key (Authorization: Bearer <key>)');
    }
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(headerValue(req, CSRF_HEADER), session.csrfHash)) {
      throw new ForbiddenException('CSRF token missing or wrong');
    }
    return session.principal;
  }
}

function headerValue(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
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
