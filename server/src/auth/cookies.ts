import type { Request, Response } from 'express';
import { CSRF_COOKIE, SESSION_COOKIE } from '@studioflow/runtime/graph';

/** One cookie's value from the `Cookie` header (an HTTP request's or a Socket.IO handshake's). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

export function sessionToken(req: Request): string | undefined {
  return readCookie(req.headers.cookie, SESSION_COOKIE);
}

/**
 * The session cookie is HTTP-only (no script reads it); the CSRF cookie is readable, so the apps echo
 * it in a header, which a page on another site cannot do. SameSite=Lax keeps both off cross-site posts.
 */
export function setSessionCookies(req: Request, res: Response, session: { token: string; csrf: string; expiresAt: Date }): void {
  const common = { path: '/', sameSite: 'lax' as const, secure: req.secure, expires: session.expiresAt };
  res.cookie(SESSION_COOKIE, session.token, { ...common, httpOnly: true });
  res.cookie(CSRF_COOKIE, session.csrf, { ...common, httpOnly: false });
}

export function clearSessionCookies(req: Request, res: Response): void {
  const common = { path: '/', sameSite: 'lax' as const, secure: req.secure };
  res.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
  res.clearCookie(CSRF_COOKIE, { ...common, httpOnly: false });
}
