import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, NotFoundException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { LruCache } from '@studioflow/runtime/store';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { isUuid, quote } from '../common/errors';
import { PG_POOL, REDIS } from '../db/infra.module';
import type { Principal } from './access-policy';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `sf_${randomBytes(24).toString('base64url')}`;
}

/** The start of a key, stored so the app can tell keys apart; far too short to use. */
export function keyPrefix(key: string): string {
  return key.slice(0, 10);
}

/** How long a resolved key is trusted without asking PostgreSQL; a revocation through the API is immediate. */
const CACHE_TTL_MS = 10_000;

export interface ApiKeySummary {
  id: string;
  label: string;
  /** The key's first characters (the rest is never stored). */
  prefix: string;
  userId: string;
  createdAt: Date;
  /** The last request with the key, to within a minute; null if never used. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const SUMMARY_COLUMNS = `id, label, key_prefix AS prefix, user_id AS "userId", created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** last_used_at is written when a resolution misses the cache, and at most this often per key. */
const LAST_USED_EVERY_S = 60;

/**
 * Resolves API keys to principals; keys are stored only as sha256 hashes. Every API process caches
 * resolutions briefly, so a revocation is announced on Redis pub/sub and every process drops it at once.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit, OnModuleDestroy {
  /** Bounded: a flood of made-up keys must not grow memory. */
  private readonly cache = new LruCache<string, { principal: Principal | null; at: number }>(10_000);
  private readonly revokedListeners: Array<(keyHash: string) => void> = [];
  private readonly missedListeners: Array<() => void> = [];
  private subscriber?: Redis;
  private readonly log = new Logger('api-keys');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get channel(): string {
    return `${this.config.queuePrefix}:keys-revoked`;
  }

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err) => this.log.warn(`key revocation channel: ${err.message}`));
    await this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', (_channel, keyHash: string) => this.forget(keyHash));
    // Pub/sub keeps nothing for a connection that was away: once it is back, revocations may have been missed.
    let connected = false;
    this.subscriber.on('ready', () => {
      if (connected) for (const listener of this.missedListeners) listener();
      connected = true;
    });
    if (this.subscriber.status === 'ready') connected = true;
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }

  /** Called with the hash of every key revoked or session ended anywhere (the realtime gateway drops its sockets). */
  onRevoked(listener: (keyHash: string) => void): void {
    this.revokedListeners.push(listener);
  }

  /** Called when revocations may have been missed: the revocation channel's connection was lost and is back. */
  onMissedRevocations(listener: () => void): void {
    this.missedListeners.push(listener);
  }

  /** Which of these key hashes still belong to unrevoked keys. */
  async liveKeys(hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const res = await this.pool.query(`SELECT key_hash FROM api_keys WHERE key_hash = ANY($1) AND revoked_at IS NULL`, [hashes]);
    return new Set(res.rows.map((r) => r.key_hash as string));
  }

  async resolve(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.principal;
    const res = await this.pool.query(
      `SELECT u.id AS user_id, k.tenant_id, u.role FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    const row = res.rows[0];
    const principal: Principal | null = row ? { userId: row.user_id, tenantId: row.tenant_id, role: row.role, keyHash: hash } : null;
    this.cache.set(hash, { principal, at: Date.now() });
    if (principal) {
      // Bookkeeping only: a failed write must not fail the request.
      void this.pool
        .query(`UPDATE api_keys SET last_used_at = now() WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`, [
          hash,
          LAST_USED_EVERY_S,
        ])
        .catch(() => undefined);
    }
    return principal;
  }

  /** A new key for the caller; the plain key is returned once and never stored. */
  async create(p: Principal, label: string): Promise<ApiKeySummary & { key: string }> {
    const key = newApiKey();
    const res = await this.pool.query(
      `INSERT INTO api_keys (user_id, tenant_id, key_hash, key_prefix, label) VALUES ($1, $2, $3, $4, $5) RETURNING ${SUMMARY_COLUMNS}`,
      [p.userId, p.tenantId, hashKey(key), keyPrefix(key), label],
    );
    return { ...res.rows[0], key };
  }

  /** Tenant staff see the tenant's keys; everyone else their own. */
  async list(p: Principal): Promise<ApiKeySummary[]> {
    const res = await this.pool.query(
      `SELECT ${SUMMARY_COLUMNS} FROM api_keys
       WHERE tenant_id = $1 AND ($2::uuid IS NULL OR user_id = $2) ORDER BY created_at DESC LIMIT 500`,
      [p.tenantId, p.role === 'staff' ? null : p.userId],
    );
    return res.rows;
  }

  /** Revokes a key the caller may manage; every API process stops accepting it before this returns. */
  async revoke(p: Principal, id: string): Promise<{ id: string; revokedAt: Date }> {
    const res = isUuid(id)
      ? await this.pool.query(
          `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE id = $1 AND tenant_id = $2 AND ($3::uuid IS NULL OR user_id = $3) RETURNING key_hash, revoked_at`,
          [id, p.tenantId, p.role === 'staff' ? null : p.userId],
        )
      : { rows: [] };
    const row = res.rows[0];
    if (!row) throw new NotFoundException(`API key ${quote(id)} not found`);
    await this.announceRevoked(row.key_hash);
    return { id, revokedAt: row.revoked_at };
  }

  /**
   * Tells every API process that a credential (an API key's or a browser session's hash) is gone:
   * caches drop it and live sockets authenticated by it are disconnected.
   */
  async announceRevoked(hash: string): Promise<void> {
    this.forget(hash);
    await this.redis.publish(this.channel, hash);
  }

  private forget(keyHash: string): void {
    this.cache.delete(keyHash);
    for (const listener of this.revokedListeners) listener(keyHash);
  }
}
