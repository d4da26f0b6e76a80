import { InitialSchema1732480000000 } from './1732480000000-initial-schema';
import { RunIdempotencyKey1764680000000 } from './1764680000000-run-idempotency-key';

/** Every migration, oldest first. The server's DataSource runs the pending ones at start. */
export const migrations = [InitialSchema1732480000000, RunIdempotencyKey1764680000000];
export * from './database';
