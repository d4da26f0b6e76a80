/** Who is signed in, as `GET /api/v1/me` answers and the web apps read it. */
export type AccountRole = 'operator' | 'staff' | 'reviewer' | 'end_user';

export interface Me {
  user: { id: string; email: string | null; name: string; role: AccountRole };
  tenant: { id: string; name: string; creditBalance: number };
  /** How this request was authenticated: a browser session (cookie) or an API key. */
  via: 'session' | 'api_key';
}

/** The session cookie (HTTP-only) and the CSRF cookie the apps echo in {@link CSRF_HEADER} on every state-changing request. */
export const SESSION_COOKIE = 'sf_session';
export const CSRF_COOKIE = 'sf_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Sign-up and invitation acceptance refuse shorter passwords. */
export const MIN_PASSWORD_LENGTH = 10;

/** `POST /api/v1/auth/signup`: a new shop (tenant) with starter credits, owned by a seller who is signed in. */
export interface SignupRequest {
  email: string;
  password: string;
  name: string;
  shopName: string;
}

/** The roles staff may invite, each signing in to its app. */
export type InvitableRole = 'reviewer' | 'end_user';

/** `GET /api/v1/invites/:token` (public): what the invitation is for, shown on the accept page. */
export interface InviteInfo {
  email: string;
  role: InvitableRole;
  tenantName: string;
  expiresAt: string;
}
