/**
 * Batch catalogs as the API answers them and the shoot app reads them (`/api/v1/batches`). An item
 * becomes a shoot when it is admitted; until then it waits in its tenant's fair share.
 */
export type BatchStatus = 'active' | 'done' | 'cancelled';

/** waiting: not admitted yet (nothing charged); then its shoot's status; failed also covers an item refused at admission. */
export type BatchItemStatus = 'waiting' | 'queued' | 'running' | 'awaiting_review' | 'completed' | 'failed' | 'cancelled';

export interface BatchProgress {
  total: number;
  waiting: number;
  /** Admitted and not finished: queued, running or awaiting review. */
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface BatchItemView {
  /** The item's position in the catalog, from 1: `/api/v1/batches/:id/items/:itemId/retry`. */
  id: number;
  /** The image's path in the zip. */
  name: string;
  title: string | null;
  status: BatchItemStatus;
  /** The item's current shoot (a retry starts a new one); null while it waits. */
  shootId: string | null;
  attempts: number;
  error: string | null;
  /** Signed result links (jpeg, webp, thumbnail, …) once completed. */
  results: Record<string, string>;
}

export interface BatchView {
  id: string;
  status: BatchStatus;
  templateId: string;
  params: Record<string, unknown>;
  createdAt: string;
  progress: BatchProgress;
  /** Credits charged so far, net of refunds. */
  chargedCredits: number;
}

export interface BatchDetail extends BatchView {
  items: BatchItemView[];
}

/** One thing wrong with an uploaded catalog; the 4xx lists them all. */
export interface BatchProblem {
  /** The zip entry or CSV row it is about, when it is about one. */
  item?: string;
  message: string;
}

/** The form fields of `POST /api/v1/batches` (multipart). */
export const BATCH_FORM = { archive: 'archive', catalog: 'catalog', templateId: 'templateId', params: 'params' } as const;
