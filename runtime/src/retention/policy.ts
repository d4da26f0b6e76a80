/**
 * How long each kind of artifact is kept. Intermediates (node outputs that are not the run's result)
 * only serve replays and redrives, so they go first; a replay after that recomputes them from the
 * upload. Uploads and deliveries are kept per tenant (tenants.upload_retention_days,
 * tenants.delivery_retention_days), these days when the tenant sets nothing.
 */
export interface RetentionPolicy {
  /** Node outputs of finished runs, and execution-cache entries unused this long. */
  intermediateDays: number;
  /** Uploaded photos (the uploads table, runs' seeds, waiting batch items): the default for tenants. */
  uploadDays: number;
  /** Runs' results (runs.outputs): the default for tenants. Template previews are kept while shown. */
  deliveryDays: number;
  /**
   * Nothing written more recently than this is a candidate, and a candidate is deleted only this
   * long after it was marked, unless something used it meanwhile. Longer than any node runs.
   */
  graceMs: number;
  /** Most hashes marked, and most deleted, per pass. */
  batchSize: number;
}

export interface ArtifactGcSchedule {
  /** Between passes; 0: no scheduled passes (run them by hand). */
  intervalMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  intermediateDays: 3,
  uploadDays: 30,
  deliveryDays: 90,
  graceMs: 60 * 60_000,
  batchSize: 2000,
};

/** The policy and schedule from the environment (README: ARTIFACT_* variables). */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionPolicy & ArtifactGcSchedule {
  return {
    intermediateDays: positive(env, 'ARTIFACT_INTERMEDIATE_RETENTION_DAYS', DEFAULT_RETENTION.intermediateDays),
    uploadDays: positive(env, 'ARTIFACT_UPLOAD_RETENTION_DAYS', DEFAULT_RETENTION.uploadDays),
    deliveryDays: positive(env, 'ARTIFACT_DELIVERY_RETENTION_DAYS', DEFAULT_RETENTION.deliveryDays),
    graceMs: positive(env, 'ARTIFACT_GC_GRACE_MINUTES', DEFAULT_RETENTION.graceMs / 60_000, true) * 60_000,
    batchSize: Math.floor(positive(env, 'ARTIFACT_GC_BATCH', DEFAULT_RETENTION.batchSize)),
    intervalMs: positive(env, 'ARTIFACT_GC_INTERVAL_MINUTES', 60, true) * 60_000,
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroAllowed = false): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new Error(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${JSON.stringify(raw)}`);
  }
  return value;
}
