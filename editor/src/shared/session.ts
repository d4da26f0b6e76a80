import { CSRF_COOKIE, CSRF_HEADER, type Me } from '@studioflow/runtime/graph';

/**
 * The web apps' (shoot app, review console) way to the API: the browser session cookie, and the
 * CSRF token echoed from its cookie on every state-changing request. No API key in the page.
 */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown = null) {
    super(message);
    this.name = 'HttpError';
  }
}

function csrfToken(): string | undefined {
  return document.cookie
    .split('; ')
    .find((c) => c.startsWith(`${CSRF_COOKIE}=`))
    ?.slice(CSRF_COOKIE.length + 1);
}

/** `path` is below /api/v1, e.g. `/shoots`. JSON in and out; FormData is sent as multipart. */
export async function apiFetch<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = csrfToken();
    if (csrf) h[CSRF_HEADER] = decodeURIComponent(csrf);
  }
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`/api/v1${path}`, { method, headers: h, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const m = (data as { message?: unknown } | null)?.message;
    throw new HttpError(res.status, typeof m === 'string' ? m : Array.isArray(m) ? m.join('; ') : `HTTP ${res.status}`, data);
  }
  return data as T;
}

/** The signed-in account, or null when nobody is signed in. */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await apiFetch<Me>('GET', '/me');
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) return null;
    throw err;
  }
}

export const signIn = (email: string, password: string) => apiFetch<Me>('POST', '/auth/login', { email, password });
export const signOut = () => apiFetch<void>('POST', '/auth/logout');
