import { resolve } from 'node:path';
import { serviceEnv, type ServiceEnv } from '@studioflow/runtime/config';
import { DEFAULT_MAX_PIXELS } from '@studioflow/nodes';
import { retentionFromEnv, type ArtifactGcSchedule, type RetentionPolicy } from '@studioflow/runtime/retention';

/** All runtime configuration, from the environment, with defaults that work on a dev machine. */
export interface AppConfig extends ServiceEnv {
  port: number;
  editorDir: string;
  templatesDir: string;
  /** Whether an API start runs each template's new version on the sample photo to make its card's preview. */
  templatePreviews: boolean;
  maxUploadBytes: number;
  maxConcurrentUploads: number;
  maxInputPixels: number;
  devKeys: { operator: string; staff: string; reviewer: string; endUser: string };
  /** Bearer token a Prometheus scraper presents at /metrics (the operator's API key works too). */
  metricsToken: string | undefined;
  workerConcurrency: { cpu: number; gpu: number; cloud: number };
  reconcileEveryMs: number;
  /** Signs artifact URLs; unset, the random one drawn by the migration (table server_secrets) is used. */
  artifactUrlSecret: string | undefined;
  /** A signed artifact URL works for at least this long. */
  artifactUrlTtlS: number;
  /** Replicate's webhook signing secret; unset, POST /api/webhooks/replicate answers 404. */
  replicateWebhookSecret: string | undefined;
  /** A browser session lasts this long from sign-in. */
  sessionTtlS: number;
  /** How often each API process checks that its sockets' keys and sessions still hold (a missed revocation, an expiry). */
  socketRecheckMs: number;
  /** Sign-in attempts allowed per IP address and email within `loginWindowS`; then 429 with Retry-After. */
  loginAttempts: number;
  loginWindowS: number;
  /** Credits a shop created by sign-up starts with. */
  starterCredits: number;
  /** The password of the seeded demo accounts (one per role). */
  demoPassword: string;
  /** Per API key (per user for sessions) and route class: `points` requests per `perSeconds`. */
  rateLimits: Record<'create' | 'read' | 'write', { points: number; perSeconds: number }>;
  /** Outgoing webhooks: attempt timeout, attempts per event, first retry delay (doubling), loopback targets allowed (tests, dev). */
  webhooks: { timeoutMs: number; attempts: number; backoffMs: number; allowLoopback: boolean; sweepEveryMs: number };
  batches: BatchConfig;
  /** How long artifacts are kept per kind, and how often the collector runs (ARTIFACT_* variables). */
  retention: RetentionPolicy & ArtifactGcSchedule;
}

/** Batch catalogs: what one upload may hold, and how fast its items are admitted. */
export interface BatchConfig {
  /** Runs a tenant may have queued or running before batch admission waits (STUDIOFLOW_TENANT_INFLIGHT). */
  tenantInflight: number;
  /** How often the admitter looks for room (BATCH_ADMIT_EVERY_MS); a new batch or a retried item also wakes it. */
  admitEveryMs: number;
  maxItems: number;
  /** The zip file itself. */
  maxUploadBytes: number;
  /** All images uncompressed together. */
  maxTotalBytes: number;
  maxTotalPixels: number;
}

const repoRoot = resolve(__dirname, '../../../..');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    port: num('PORT', 3000),
    ...serviceEnv(env),
    editorDir: resolve(env.EDITOR_DIR ?? resolve(repoRoot, 'editor/dist')),
    templatesDir: resolve(env.TEMPLATES_DIR ?? resolve(repoRoot, 'templates')),
    templatePreviews: env.TEMPLATE_PREVIEWS !== 'off',
    maxUploadBytes: num('MAX_UPLOAD_BYTES', 40 * 1024 * 1024),
    maxConcurrentUploads: num('MAX_CONCURRENT_UPLOADS', 16),
    maxInputPixels: num('STUDIOFLOW_MAX_PIXELS', DEFAULT_MAX_PIXELS),
    devKeys: {
      operator: env.STUDIOFLOW_OPERATOR_KEY ?? 'sf_operator_dev',
      staff: env.STUDIOFLOW_STAFF_KEY ?? 'sf_staff_dev',
      reviewer: env.STUDIOFLOW_REVIEWER_KEY ?? 'sf_reviewer_dev',
      endUser: env.STUDIOFLOW_USER_KEY ?? 'sf_user_dev',
    },
    metricsToken: env.METRICS_TOKEN || undefined,
    reconcileEveryMs: num('RECONCILE_EVERY_MS', 30_000),
    artifactUrlSecret: env.ARTIFACT_URL_SECRET || undefined,
    artifactUrlTtlS: num('ARTIFACT_URL_TTL_S', 3600),
    replicateWebhookSecret: env.REPLICATE_WEBHOOK_SECRET?.trim() || undefined,
    batches: {
      tenantInflight: Math.max(1, num('STUDIOFLOW_TENANT_INFLIGHT', 8)),
      admitEveryMs: Math.max(20, num('BATCH_ADMIT_EVERY_MS', 250)),
      maxItems: num('BATCH_MAX_ITEMS', 2000),
      maxUploadBytes: num('BATCH_MAX_UPLOAD_BYTES', 1024 * 1024 * 1024),
      maxTotalBytes: num('BATCH_MAX_TOTAL_BYTES', 2 * 1024 * 1024 * 1024),
      maxTotalPixels: num('BATCH_MAX_TOTAL_PIXELS', 20_000_000_000),
    },
    sessionTtlS: num('SESSION_TTL_S', 14 * 24 * 3600),
    socketRecheckMs: Math.max(100, num('SOCKET_RECHECK_MS', 60_000)),
    loginAttempts: num('LOGIN_ATTEMPTS', 10),
    loginWindowS: num('LOGIN_WINDOW_S', 15 * 60),
    starterCredits: num('STUDIOFLOW_STARTER_CREDITS', 20),
    demoPassword: env.STUDIOFLOW_DEMO_PASSWORD || 'studioflow-demo',
    rateLimits: {
      create: { points: num('RATE_LIMIT_CREATE_PER_MINUTE', 120), perSeconds: 60 },
      read: { points: num('RATE_LIMIT_READ_PER_MINUTE', 1200), perSeconds: 60 },
      write: { points: num('RATE_LIMIT_WRITE_PER_MINUTE', 600), perSeconds: 60 },
    },
    webhooks: {
      timeoutMs: num('WEBHOOK_TIMEOUT_MS', 10_000),
      attempts: num('WEBHOOK_ATTEMPTS', 8),
      backoffMs: num('WEBHOOK_BACKOFF_MS', 30_000),
      allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === '1' || env.WEBHOOK_ALLOW_LOOPBACK === 'true',
      sweepEveryMs: num('WEBHOOK_SWEEP_EVERY_MS', 15_000),
    },
    workerConcurrency: { cpu: num('CPU_CONCURRENCY', 2), gpu: num('GPU_CONCURRENCY', 1), cloud: num('CLOUD_CONCURRENCY', 16) },
    retention: retentionFromEnv(env),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
