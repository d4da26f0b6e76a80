import type { InviteInfo, Me, SignupRequest } from '@studioflow/runtime/graph';
import { apiFetch } from './session';

/** Sign-up of a new shop (the shoot app); signs in. */
export const signUp = (request: SignupRequest) => apiFetch<Me>('POST', '/auth/signup', request);

/** What an invitation is for; 404 unknown, 410 used or expired. */
export const describeInvite = (token: string) => apiFetch<InviteInfo>('GET', `/invites/${encodeURIComponent(token)}`);

/** Creates the invited account and signs in. */
export const acceptInvite = (token: string, body: { password: string; name: string }) =>
  apiFetch<Me>('POST', `/invites/${encodeURIComponent(token)}/accept`, body);

/** The invitation token of an accept page (`/app/accept?token=…`, `/review/accept?token=…`), if this is one. */
export function inviteTokenFromLocation(loc: Location = window.location): string | null {
  if (!/\/accept\/?$/.test(loc.pathname)) return null;
  return new URLSearchParams(loc.search).get('token');
}
