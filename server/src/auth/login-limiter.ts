import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TooManyRequestsException } from '../common/errors';
import { REDIS } from '../db/infra.module';

/** New accounts (sign-ups, accepted invitations) per IP address and hour: each costs an argon2 hash. */
const ACCOUNTS_PER_IP_HOUR = 10;

/**
 * Sign-in attempts per IP address and email, counted in Redis so the limit holds across API
 * processes. A successful sign-in clears the count; past the limit, 429 with Retry-After.
 */
@Injectable()
export class LoginLimiter {
  private readonly limiter: RateLimiterRedis;
  private readonly newAccounts: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.queuePrefix}:login`,
      points: config.loginAttempts,
      duration: config.loginWindowS,
    });
    this.newAccounts = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.queuePrefix}:new-account`, points: ACCOUNTS_PER_IP_HOUR, duration: 3600 });
  }

  /** Counts one account creation from `ip`; throws 429 past the hourly allowance. */
  async newAccount(ip: string): Promise<void> {
    try {
      await this.newAccounts.consume(ip);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequestsException('too many new accounts from this address; try again later', err.msBeforeNext / 1000);
    }
  }

  private static key(ip: string, email: string): string {
    return `${ip}|${email.trim().toLowerCase()}`;
  }

  /** Counts one attempt; throws 429 once the allowance is spent. */
  async attempt(ip: string, email: string): Promise<void> {
    try {
      await this.limiter.consume(LoginLimiter.key(ip, email));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequestsException('too many sign-in attempts; try again later', err.msBeforeNext / 1000);
    }
  }

  async succeeded(ip: string, email: string): Promise<void> {
    await this.limiter.delete(LoginLimiter.key(ip, email));
  }
}
