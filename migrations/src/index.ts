import { InitialSchema1732480000000 } from './1732480000000-initial-schema';

/** Every migration, oldest first. The server's DataSource runs the pending ones at start. */
export const migrations = [InitialSchema1732480000000];
export * from './database';
