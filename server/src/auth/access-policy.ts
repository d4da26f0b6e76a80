/**
 * Studioflow's authorization model, stated once. The guard (route level) and the services (row
 * level) both ask this file; nothing else decides who may do what.
 *
 * - `operator`: runs the platform — queues (Bull Board), metrics, every tenant's queue state. Holds no
 *   tenant data rights: tenant routes refuse an operator.
 * - `staff`: everything inside their own tenant (graphs, templates, runs, reviews, dead letters, keys).
 * - `reviewer`: their tenant's review queue and the shoots behind it.
 * - `end_user`: submits shoots and sees only their own.
 * Another tenant's ids answer 404, never 403, so a response never confirms that something exists.
 */
export type Role = 'operator' | 'staff' | 'reviewer' | 'end_user';

export const TENANT_ROLES: readonly Role[] = ['staff', 'reviewer', 'end_user'];

/** Who is calling: resolved from an API key or a browser session by the auth guard. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
  /** sha256 of the key used, so a revocation can reach live sockets too. */
  keyHash?: string;
  /** sha256 of the session token, when a browser session (cookie) authenticated the call. */
  sessionHash?: string;
}

/** How the caller was authenticated, as `GET /api/v1/me` reports it. */
export function authenticatedVia(p: Principal): 'session' | 'api_key' {
  return p.sessionHash ? 'session' : 'api_key';
}

/**
 * Whether a route that names `required` roles (none named: any tenant role) admits `role`. Staff is
 * admitted wherever a tenant role is; the operator only where `operator` is named.
 */
export function admits(required: readonly Role[] | undefined, role: Role): boolean {
  const allowed = required ?? TENANT_ROLES;
  if (allowed.includes(role)) return true;
  return role === 'staff' && allowed.some((r) => r !== 'operator');
}

/** The runs a caller may see: end users their own, tenant staff and reviewers the whole tenant. */
export interface RunScope {
  tenantId: string;
  userId?: string;
}

export function runScope(p: Principal): RunScope {
  return p.role === 'end_user' ? { tenantId: p.tenantId, userId: p.userId } : { tenantId: p.tenantId };
}

/** Whether the caller may read every artifact of their tenant with an API key (end users go through signed URLs). */
export function readsTenantArtifacts(p: Principal): boolean {
  return p.role === 'staff' || p.role === 'reviewer';
}

/** Whether the caller may watch the tenant-wide event room (gallery of every shoot of the tenant). */
export function watchesTenant(p: Principal): boolean {
  return p.role === 'staff' || p.role === 'reviewer';
}
