import { z } from 'zod';

const days = z.number().int().min(1).max(36_500).nullable();

/** A tenant's own retention; null returns to the platform default (ARTIFACT_*_RETENTION_DAYS). */
export const TenantRetentionBody = z
  .object({
    uploadRetentionDays: days.describe('days uploaded photos are kept; null: the platform default'),
    deliveryRetentionDays: days.describe("days a run's results are kept after it ends; null: the platform default"),
  })
  .strict()
  .meta({ examples: [{ uploadRetentionDays: 14, deliveryRetentionDays: null }] });
export type TenantRetentionBody = z.infer<typeof TenantRetentionBody>;
