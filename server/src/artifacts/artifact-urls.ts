import { createHmac } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { isArtifactRef } from '@studioflow/runtime/contract';
import { isUuid } from '../common/errors';
import { sameSecret } from '../common/same-secret';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';

/**
 * Short-lived signed artifact URLs, the only way an artifact link leaves the API:
 * `/api/artifacts/<hash>?t=<tenant id>&exp=<unix s>&sig=<base64url HMAC-SHA256 of "hash.tenant.exp">`.
 * Such a URL needs no API key (an <img>, an end user's browser, a webhook), so keys never travel in URLs.
 */
@Injectable()
export class ArtifactUrls implements OnModuleInit {
  private secret: Buffer | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(PG_POOL) private readonly pool: Pool) {}

  async onModuleInit(): Promise<void> {
    if (!(this.config.artifactUrlTtlS > 0)) throw new Error('ARTIFACT_URL_TTL_S must be a positive number of seconds');
    const stored = async () => (await this.pool.query(`SELECT value FROM server_secrets WHERE name = 'artifact_url'`)).rows[0]?.value as string;
    const secret = this.config.artifactUrlSecret ?? (await stored());
    if (!secret) throw new Error('no artifact URL secret: set ARTIFACT_URL_SECRET or apply the migrations');
    this.secret = Buffer.from(secret, 'utf8');
  }

  /** The one way to link an artifact of a tenant. */
  url(hash: string, tenantId: string, now = Date.now()): string {
    const ttl = this.config.artifactUrlTtlS;
    // Rounded up to a step, so one artifact keeps one URL for a while: the browser cache hits, and an
    // editor polling a run does not reload its images on every answer.
    const step = Math.max(1, Math.ceil(ttl / 12));
    const exp = Math.ceil((now / 1000 + ttl) / step) * step;
    return `/api/artifacts/${hash}?t=${tenantId}&exp=${exp}&sig=${this.sign(hash, tenantId, String(exp))}`;
  }

  /**
   * The tenant a signed URL grants. Anything forged, tampered or malformed answers 404, so a link
   * never confirms that an artifact exists; an authentic link past its expiry answers 403.
   */
  verify(hash: string, query: Record<string, unknown>, now = Date.now()): string {
    const { t, exp, sig } = query;
    const wellFormed = typeof t === 'string' && isUuid(t) && typeof exp === 'string' && /^\d{1,12}$/.test(exp) && typeof sig === 'string';
    if (!wellFormed || !sameSecret(sig, this.sign(hash, t, exp))) throw new NotFoundException(`artifact ${hash} not found`);
    if (Number(exp) * 1000 <= now) throw new ForbiddenException('this artifact link has expired: ask the API for the shoot again to get a fresh one');
    return t;
  }

  /** A copy of port values (any nesting) in which every artifact ref also carries its signed `url`. */
  withUrls<T>(value: T, tenantId: string, now = Date.now()): T {
    const walk = (v: unknown): unknown => {
      if (isArtifactRef(v)) return { ...v, url: this.url(v.hash, tenantId, now) };
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  /** A run's results: the sink nodes' artifact outputs (jpeg, webp, thumbnail, ...) as signed URLs by port. */
  results(outputs: Record<string, Record<string, unknown>> | null, tenantId: string, now = Date.now()): Record<string, string> {
    const urls: Record<string, string> = {};
    for (const ports of Object.values(outputs ?? {})) {
      for (const [port, value] of Object.entries(ports)) if (isArtifactRef(value)) urls[port] = this.url(value.hash, tenantId, now);
    }
    return urls;
  }

  private sign(hash: string, tenantId: string, exp: string): string {
    // Never sign with an empty key: such links could be forged by anyone.
    if (!this.secret) throw new Error('artifact URL signer used before its secret was loaded');
    return createHmac('sha256', this.secret).update(`${hash}.${tenantId}.${exp}`).digest('base64url');
  }
}
