/**
 * The hashes PostgreSQL still references, as a CTE named `live` (one column `h`), with
 * $1 = intermediate days, $2 = upload days and $3 = delivery days (tenant defaults). A hash is live
 * while any of these names it:
 * - a node output of a run that has not finished, finished within the intermediate retention (a
 *   replay reuses it), or has an open dead letter (a redrive reuses it);
 * - a run's result within the tenant's delivery retention, or the run of a template preview;
 * - a run's seed (its upload) within the tenant's upload retention, or while the run is unfinished;
 * - an upload within the upload retention, or a batch item still waiting for its run;
 * - a graph's pinned test photo (an upload), however old, while it stays pinned;
 * - an execution-cache entry (expired entries are deleted before marking, so a hit never serves a
 *   deleted file). With `expiredCacheIsDead`, entries unused for the intermediate retention count as
 *   gone already (what a dry run reports).
 * Refs are found anywhere in the JSON (`$.**.hash`): a list of candidates, a ref inside a report.
 */
export function liveSetCte(options: { expiredCacheIsDead?: boolean } = {}): string {
  const cacheFilter = options.expiredCacheIsDead ? `WHERE c.used_at >= now() - $1 * interval '1 day'` : '';
  return `
  policy AS (
    SELECT id AS tenant_id,
      coalesce(upload_retention_days, $2) * interval '1 day' AS upload_keep,
      coalesce(delivery_retention_days, $3) * interval '1 day' AS delivery_keep
    FROM tenants
  ),
  live AS (
    SELECT jsonb_path_query(n.outputs, 'strict $.**.hash') #>> '{}' AS h
    FROM runs r JOIN node_runs n ON n.run_id = r.id
    WHERE n.outputs IS NOT NULL AND (r.finished_at IS NULL OR r.finished_at >= now() - $1 * interval '1 day'
      OR EXISTS (SELECT 1 FROM dead_letters d WHERE d.run_id = r.id AND d.status = 'open'))
    UNION
    SELECT jsonb_path_query(r.outputs, 'strict $.**.hash') #>> '{}'
    FROM runs r JOIN policy p ON p.tenant_id = r.tenant_id
    WHERE r.outputs IS NOT NULL AND (r.finished_at IS NULL OR r.finished_at >= now() - p.delivery_keep
      OR EXISTS (SELECT 1 FROM template_previews t WHERE t.run_id = r.id))
    UNION
    SELECT jsonb_path_query(r.seed_inputs, 'strict $.**.hash') #>> '{}'
    FROM runs r JOIN policy p ON p.tenant_id = r.tenant_id
    WHERE r.finished_at IS NULL OR r.created_at >= now() - p.upload_keep
    UNION
    SELECT u.hash FROM uploads u JOIN policy p ON p.tenant_id = u.tenant_id WHERE u.created_at >= now() - p.upload_keep
    UNION
    SELECT u.hash FROM graphs g JOIN uploads u ON u.id = g.test_photo_upload_id
    UNION
    SELECT jsonb_path_query(b.upload, 'strict $.**.hash') #>> '{}'
    FROM batch_items b JOIN batches bb ON bb.id = b.batch_id JOIN policy p ON p.tenant_id = b.tenant_id
    WHERE b.state = 'waiting' OR bb.created_at >= now() - p.upload_keep
    UNION
    SELECT jsonb_path_query(c.outputs, 'strict $.**.hash') #>> '{}' FROM node_cache c ${cacheFilter}
  )`;
}
