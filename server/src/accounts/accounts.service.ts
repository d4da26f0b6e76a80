import { randomBytes } from 'node:crypto';
import { ConflictException, GoneException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { InvitableRole, InviteInfo, Me, SignupRequest } from '@studioflow/runtime/graph';
import { authenticatedVia, type Principal, type Role } from '../auth/access-policy';
import { hashKey } from '../auth/api-keys';
import { LoginLimiter } from '../auth/login-limiter';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { SessionService, type NewSession } from '../auth/sessions';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';
import { inTransaction } from '@studioflow/runtime/store';

/** What a caller needs to sign a browser in: the cookie values and who it is. */
export interface SignedIn {
  session: NewSession;
  me: Me;
}

/** The roles staff may invite, and the app each one signs in to. */
export const INVITE_APPS: Record<InvitableRole, string> = { reviewer: '/review', end_user: '/app' };

const INVITE_TTL_S = 7 * 24 * 3600;

/** One message for an unknown email and a wrong password, so the answer never confirms an account exists. */
const WRONG_CREDENTIALS = 'wrong email or password';

/** Whether a PostgreSQL error is a unique violation (an email taken meanwhile). */
function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}

/**
 * Accounts: sign-in with email and password, sign-up of a new shop (a tenant whose owner is a
 * seller), staff invitations, and "who am I". Sessions themselves live in auth/sessions.ts.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionService,
    private readonly limiter: LoginLimiter,
  ) {}

  me(p: Principal): Promise<Me> {
    return this.account(p.userId, authenticatedVia(p));
  }

  private async account(userId: string, via: Me['via']): Promise<Me> {
    const res = await this.pool.query(
      `SELECT u.id, u.email, u.name, u.role, t.id AS tenant_id, t.name AS tenant_name, t.credit_balance
         FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1`,
      [userId],
    );
    const row = res.rows[0];
    if (!row) throw new UnauthorizedException('the account no longer exists');
    return {
      user: { id: row.id, email: row.email, name: row.name, role: row.role },
      tenant: { id: row.tenant_id, name: row.tenant_name, creditBalance: row.credit_balance },
      via,
    };
  }

  async login(email: string, password: string, ip: string, userAgent: string | undefined): Promise<SignedIn> {
    await this.limiter.attempt(ip, email);
    const res = await this.pool.query(`SELECT id, password_hash FROM users WHERE lower(email) = lower($1)`, [email.trim()]);
    const user = res.rows[0] as { id: string; password_hash: string | null } | undefined;
    // An unknown email costs the same argon2 work as a wrong password.
    if (!(await verifyPassword(user?.password_hash, password)) || !user) throw new UnauthorizedException(WRONG_CREDENTIALS);
    await this.limiter.succeeded(ip, email);
    return this.signIn(user.id, userAgent);
  }

  private async signIn(userId: string, userAgent: string | undefined): Promise<SignedIn> {
    const session = await this.sessions.create(userId, userAgent);
    return { session, me: await this.account(userId, 'session') };
  }

  /** A new shop (tenant) with starter credits, its owner a seller, signed in. */
  async signup(input: SignupRequest, ip: string, userAgent: string | undefined): Promise<SignedIn> {
    await this.limiter.newAccount(ip);
    const passwordHash = await hashPassword(input.password);
    const userId = await this.transaction(async (c) => {
      const tenant = await c.query(`INSERT INTO tenants (name, credit_balance) VALUES ($1, $2) RETURNING id`, [input.shopName.trim(), this.config.starterCredits]);
      const tenantId = tenant.rows[0].id as string;
      if (this.config.starterCredits > 0) {
        await c.query(
          `INSERT INTO credit_ledger (tenant_id, kind, amount, reason, idempotency_key) VALUES ($1, 'grant', $2, 'starter credits', $3)`,
          [tenantId, this.config.starterCredits, `grant:starter:${tenantId}`],
        );
      }
      return this.insertUser(c, { tenantId, email: input.email, name: input.name, role: 'end_user', passwordHash });
    });
    return this.signIn(userId, userAgent);
  }

  /** An invitation to the caller's tenant; the token is in this answer only (stored hashed). */
  async invite(p: Principal, email: string, role: InvitableRole, origin: string) {
    const taken = await this.pool.query(`SELECT 1 FROM users WHERE lower(email) = lower($1)`, [email.trim()]);
    if (taken.rowCount) throw new ConflictException('an account with this email exists already');
    const token = randomBytes(32).toString('base64url');
    const res = await this.pool.query(
      `INSERT INTO invites (token_hash, tenant_id, email, role, invited_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING id, created_at, expires_at`,
      [hashKey(token), p.tenantId, email.trim(), role, p.userId, INVITE_TTL_S],
    );
    const path = `${INVITE_APPS[role]}/accept?token=${token}`;
    const row = res.rows[0];
    return { id: row.id as string, email: email.trim(), role, createdAt: row.created_at as Date, expiresAt: row.expires_at as Date, token, path, url: `${origin}${path}` };
  }

  /** Public: what an invitation is for, so the accept page can say it. Unknown → 404; used or expired → 410. */
  async describeInvite(token: string): Promise<InviteInfo> {
    const res = await this.pool.query(
      `SELECT i.email, i.role, i.expires_at, i.accepted_at, t.name AS tenant_name
         FROM invites i JOIN tenants t ON t.id = i.tenant_id WHERE i.token_hash = $1`,
      [hashKey(token)],
    );
    const row = res.rows[0];
    assertInviteOpen(row);
    return { email: row.email, role: row.role, tenantName: row.tenant_name, expiresAt: (row.expires_at as Date).toISOString() };
  }

  /** Creates the invited account (once: the invitation is locked, then marked used) and signs it in. */
  async acceptInvite(token: string, input: { password: string; name: string }, ip: string, userAgent: string | undefined): Promise<SignedIn> {
    await this.limiter.newAccount(ip);
    const passwordHash = await hashPassword(input.password);
    const userId = await this.transaction(async (c) => {
      const res = await c.query(`SELECT id, tenant_id, email, role, expires_at, accepted_at FROM invites WHERE token_hash = $1 FOR UPDATE`, [hashKey(token)]);
      const invite = res.rows[0];
      assertInviteOpen(invite);
      const id = await this.insertUser(c, { tenantId: invite.tenant_id, email: invite.email, name: input.name, role: invite.role, passwordHash });
      await c.query(`UPDATE invites SET accepted_at = now(), accepted_user_id = $2 WHERE id = $1`, [invite.id, id]);
      return id;
    });
    return this.signIn(userId, userAgent);
  }

  private async insertUser(c: PoolClient, u: { tenantId: string; email: string; name: string; role: Role; passwordHash: string }): Promise<string> {
    try {
      const res = await c.query(
        `INSERT INTO users (tenant_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [u.tenantId, u.email.trim(), u.name.trim(), u.role, u.passwordHash],
      );
      return res.rows[0].id;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException('an account with this email exists already');
      throw err;
    }
  }

  private async transaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}

function assertInviteOpen(row: { accepted_at: Date | null; expires_at: Date } | undefined): asserts row is { accepted_at: null; expires_at: Date } & Record<string, any> {
  if (!row) throw new NotFoundException('no such invitation');
  if (row.accepted_at) throw new GoneException('this invitation was used already; sign in instead');
  if (row.expires_at.getTime() <= Date.now()) throw new GoneException('this invitation has expired; ask for a new one');
}
