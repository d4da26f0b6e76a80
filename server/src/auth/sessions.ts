import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';
import type { Principal } from './access-policy';
import { ApiKeyService, hashKey } from './api-keys';

export interface NewSession {
  /** The cookie values: shown to the browser once, stored only as hashes. */
  token: string;
  csrf: string;
  expiresAt: Date;
}

export interface ResolvedSession {
  principal: Principal;
  csrfHash: string;
}

/** last_seen_at is written at most this often per session, not on every request. */
const TOUCH_EVERY_S = 60;

/**
 * Browser sessions: a random token in an HTTP-only cookie and a CSRF token beside it, both stored as
 * sha256 hashes. Every request reads PostgreSQL (a primary-key lookup), so signing out ends the session
 * everywhere at once; live sockets of the session are dropped through the key revocation channel.
 */
@Injectable()
export class SessionService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeyService,
  ) {}

  async create(userId: string, userAgent: string | undefined): Promise<NewSession> {
    // The user's expired sessions go at their next sign-in; nothing else needs to sweep the table.
    await this.pool.query(`DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now()`, [userId]);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const res = await this.pool.query(
      `INSERT INTO sessions (token_hash, csrf_hash, user_id, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
      [hashKey(token), hashKey(csrf), userId, (userAgent ?? '').slice(0, 400), this.config.sessionTtlS],
    );
    return { token, csrf, expiresAt: res.rows[0].expires_at };
  }

  /** The signed-in user of an unexpired session, or null. */
  async resolve(token: string): Promise<ResolvedSession | null> {
    const tokenHash = hashKey(token);
    const res = await this.pool.query(
      `SELECT s.id, s.csrf_hash, s.last_seen_at < now() - make_interval(secs => $2) AS stale, u.id AS user_id, u.tenant_id, u.role
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [tokenHash, TOUCH_EVERY_S],
    );
    const row = res.rows[0];
    if (!row) return null;
    if (row.stale) {
      // Bookkeeping only: a failed write must not fail the request.
      void this.pool.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1`, [row.id]).catch(() => undefined);
    }
    return { principal: { userId: row.user_id, tenantId: row.tenant_id, role: row.role, sessionHash: tokenHash }, csrfHash: row.csrf_hash };
  }

  /** Which of these session hashes belong to sessions that have neither ended nor expired. */
  async liveSessions(hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const res = await this.pool.query(`SELECT token_hash FROM sessions WHERE token_hash = ANY($1) AND expires_at > now()`, [hashes]);
    return new Set(res.rows.map((r) => r.token_hash as string));
  }

  /** Ends the session of `token` (if any) and drops its live sockets in every API process. */
  async end(token: string): Promise<void> {
    const tokenHash = hashKey(token);
    const res = await this.pool.query(`DELETE FROM sessions WHERE token_hash = $1`, [tokenHash]);
    if (res.rowCount) await this.keys.announceRevoked(tokenHash);
  }
}

/** Whether the CSRF header matches the session's token, compared in constant time. */
export function csrfMatches(header: string | undefined, csrfHash: string): boolean {
  if (!header) return false;
  const given = Buffer.from(hashKey(header), 'hex');
  const expected = Buffer.from(csrfHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
