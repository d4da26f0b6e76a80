import { HttpException, HttpStatus, Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { REDIS } from '../db/infra.module';
import { RATE_LIMIT_CLASS, type RateLimitClass } from './rate-limit.decorator';

/** A limiter that does not answer within this time lets the request through (Redis away: serve rather than refuse). */
const LIMITER_TIMEOUT_MS = 500;

/**
 * Per-caller rate limits, counted in Redis so they hold across API processes: an API key has its
 * own budget per route class, a signed-in session its user's. Every answer carries RateLimit-Limit,
 * -Remaining and -Reset; a request over the budget answers 429 with Retry-After. Runs after the
 * auth guard (it needs the principal); unauthenticated routes are not limited here.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly limiters: Record<RateLimitClass, RateLimiterRedis>;
  private readonly log = new Logger('rate-limit');

  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const limiter = (routeClass: RateLimitClass) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.queuePrefix}:ratelimit:${routeClass}`,
        points: config.rateLimits[routeClass].points,
        duration: config.rateLimits[routeClass].perSeconds,
      });
    this.limiters = { create: limiter('create'), read: limiter('read'), write: limiter('write') };
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = req.principal;
    if (!principal) return next.handle();
    const routeClass =
      this.reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS, [context.getHandler(), context.getClass()]) ??
      (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    const res = context.switchToHttp().getResponse<Response>();
    const { points } = this.config.rateLimits[routeClass];
    // A key is limited by itself; a session (no key) by its user.
    const subject = principal.keyHash ? `key:${principal.keyHash}` : `user:${principal.userId}`;
    let outcome: RateLimiterRes | 'unknown';
    try {
      outcome = await Promise.race([
        this.limiters[routeClass].consume(subject),
        new Promise<'unknown'>((resolve) => setTimeout(() => resolve('unknown'), LIMITER_TIMEOUT_MS).unref()),
      ]);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        this.log.warn(`rate limiter unavailable, request let through: ${String(err)}`);
        return next.handle();
      }
      setHeaders(res, points, err);
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new HttpException(
        { statusCode: 429, error: 'Too Many Requests', message: `rate limit of ${points} ${routeClass} requests per ${this.config.rateLimits[routeClass].perSeconds} s reached; retry in ${retryAfter} s` },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    if (outcome !== 'unknown') setHeaders(res, points, outcome);
    return next.handle();
  }
}

function setHeaders(res: Response, limit: number, state: RateLimiterRes): void {
  res.setHeader('RateLimit-Limit', String(limit));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('RateLimit-Reset', String(Math.ceil(state.msBeforeNext / 1000)));
}
