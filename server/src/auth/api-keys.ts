import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { LruCache } from '@studioflow/runtime/store';
import { PG_POOL } from '../db/infra.module';
import type { Principal } from './principal';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `sf_${randomBytes(24).toString('base64url')}`;
}

/** Resolves API keys to principals; keys are stored only as sha256 hashes. */
@Injectable()
export class ApiKeyService {
  /** Bounded: a flood of made-up keys must not grow memory. */
  private readonly cache = new LruCache<string, { principal: Principal | null; at: number }>(10_000);

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async resolve(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < 10_000) return hit.principal;
    const res = await this.pool.query(
      `SELECT u.id AS user_id, k.tenant_id, u.role FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    const row = res.rows[0];
    const principal: Principal | null = row ? { userId: row.user_id, tenantId: row.tenant_id, role: row.role } : null;
    this.cache.set(hash, { principal, at: Date.now() });
    return principal;
  }
}
