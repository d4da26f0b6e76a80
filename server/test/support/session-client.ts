import type { BrowserContext } from 'playwright-core';
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from '@studioflow/runtime/graph';

/** The seeded demo accounts' password (STUDIOFLOW_DEMO_PASSWORD unset). */
export const DEMO_PASSWORD = 'studioflow-demo';

/**
 * An HTTP client that behaves like the web apps in a browser: keeps the cookies it is given and
 * echoes the CSRF token on every request (unless `csrf: false`). For API tests of the session routes.
 */
export class SessionClient {
  readonly cookies = new Map<string, string>();
  /** The raw Set-Cookie lines of the last answer, for the flag checks. */
  lastSetCookie: string[] = [];

  constructor(private readonly baseUrl: string) {}

  /** The `Cookie` header a browser would send (also for a Socket.IO handshake). */
  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async call(method: string, path: string, body?: unknown, opts: { csrf?: boolean; headers?: Record<string, string> } = {}) {
    const headers = new Headers(opts.headers);
    if (this.cookies.size) headers.set('Cookie', this.cookieHeader);
    if (opts.csrf !== false && this.cookies.has(CSRF_COOKIE)) headers.set(CSRF_HEADER, decodeURIComponent(this.cookies.get(CSRF_COOKIE)!));
    let payload: RequestInit['body'];
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers.set('Content-Type', 'application/json');
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  }

  login(email: string, password = DEMO_PASSWORD) {
    return this.call('POST', '/api/v1/auth/login', { email, password });
  }
}

/** A signed-in SessionClient; throws when the sign-in is refused. */
export async function signedIn(baseUrl: string, email: string, password = DEMO_PASSWORD): Promise<SessionClient> {
  const client = new SessionClient(baseUrl);
  const res = await client.login(email, password);
  if (res.status !== 200) throw new Error(`sign-in as ${email} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return client;
}

/** Signs a playwright browser context in as `email` (through the API, not the form), so a test starts on a signed-in app. */
export async function signInBrowser(context: BrowserContext, baseUrl: string, email: string, password = DEMO_PASSWORD): Promise<void> {
  const client = await signedIn(baseUrl, email, password);
  await context.addCookies(
    [SESSION_COOKIE, CSRF_COOKIE].map((name) => ({
      name,
      value: client.cookies.get(name)!,
      url: baseUrl,
      httpOnly: name === SESSION_COOKIE,
      sameSite: 'Lax' as const,
    })),
  );
}
