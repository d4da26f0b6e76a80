import type { Role } from '../db/entities';

/** Who is calling: resolved from an API key by the auth guard. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
}
