import { InitialSchema1732480000000 } from './1732480000000-initial-schema';
import { AccessModel1764680000000 } from './1764680000000-access-model';
import { RunIdempotencyKey1764690000000 } from './1764690000000-run-idempotency-key';
import { ArtifactUrlSecret1796224054000 } from './1796224054000-artifact-url-secret';
import { RunCosts1796230000000 } from './1796230000000-run-costs';
import { WebhookDeliveries1796230001000 } from './1796230001000-webhook-deliveries';
import { Accounts1796300000000 } from './1796300000000-accounts';
import { ReviewDecisions1796300200000 } from './1796300200000-review-decisions';
import { Batches1796300300000 } from './1796300300000-batches';
import { PublicApi1796300400000 } from './1796300400000-public-api';
import { TemplatePreviews1796300500000 } from './1796300500000-template-previews';
import { ArtifactRetention1796400500000 } from './1796400500000-artifact-retention';
import { DraftRuns1796500000000 } from './1796500000000-draft-runs';
import { Subflows1796510000000 } from './1796510000000-subflows';
import { TemplateLifecycle1796520000000 } from './1796520000000-template-lifecycle';
import { NodeLogs1796530000000 } from './1796530000000-node-logs';

/** Every migration, oldest first (one per line). The server's DataSource runs the pending ones at start. */
export const migrations = [
  InitialSchema1732480000000,
  AccessModel1764680000000,
  RunIdempotencyKey1764690000000,
  ArtifactUrlSecret1796224054000,
  RunCosts1796230000000,
  WebhookDeliveries1796230001000,
  Accounts1796300000000,
  ReviewDecisions1796300200000,
  Batches1796300300000,
  PublicApi1796300400000,
  TemplatePreviews1796300500000,
  ArtifactRetention1796400500000,
  DraftRuns1796500000000,
  Subflows1796510000000,
  TemplateLifecycle1796520000000,
  NodeLogs1796530000000,
];
export * from './database';
