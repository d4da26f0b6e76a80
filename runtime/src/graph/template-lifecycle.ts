/**
 * A template's lifecycle as staff manage it (server/src/templates, the editor's publish dialog):
 * what is published, the changes staff may make, and the changelog. Browser-safe types only.
 */
import type { ExposedParam, TemplateVisibility } from './wire-types';

/** GET /api/v1/templates/managed: one of the tenant's own templates, published or not, for staff. */
export interface ManagedTemplate {
  id: string;
  slug: string;
  name: string;
  description: string;
  graphId: string;
  graphVersionId: string;
  /** The graph version the template runs. */
  version: number;
  /** The graph's newest version. */
  latestVersion: number;
  exposedParams: ExposedParam[];
  priceCredits: number;
  visibility: TemplateVisibility;
  /** false once unpublished: sellers no longer see or start it; its shoots keep working. */
  published: boolean;
  publishedAt: string;
  publishedBy: string | null;
  unpublishedAt: string | null;
  updatedAt: string;
  /** The optimistic-concurrency counter: every change names the revision it saw. */
  revision: number;
}

/**
 * PATCH /api/v1/templates/:id: repoint to another version of the same graph (`graphVersionId`) and/or
 * edit the rest; what is left out stays. `revision` is the one the caller saw (409 when stale).
 */
export interface UpdateTemplateBody {
  revision: number;
  graphVersionId?: string;
  name?: string;
  description?: string;
  priceCredits?: number;
  visibility?: TemplateVisibility;
  exposedParams?: ExposedParam[];
  /** Why, for the changelog. */
  note?: string;
}

/** POST /api/v1/templates/:id/unpublish and …/republish. */
export interface TemplateLifecycleBody {
  revision: number;
  note?: string;
}

export type TemplateChangeAction = 'published' | 'updated' | 'unpublished' | 'republished';

/** One changed field of a template: its value before and after. */
export interface FieldChange {
  from?: unknown;
  to?: unknown;
}

/** GET /api/v1/templates/:id/changelog: one entry, newest first. */
export interface TemplateChange {
  id: string;
  action: TemplateChangeAction;
  changedAt: string;
  /** The email of the staff member (null for the seed or a deleted user). */
  changedBy: string | null;
  fromVersion: number | null;
  toVersion: number | null;
  /** Changed fields by name (priceCredits, visibility, name, description, exposedParams). */
  changes: Record<string, FieldChange>;
  note: string;
}

/** 409 of a stale change: the template as it is now. */
export interface TemplateConflict {
  statusCode: 409;
  message: string;
  current: ManagedTemplate;
}

/** The exposed params (`node.param`) a version lacks: no such node, or its type has no such param. */
export function missingExposedParams(exposed: ExposedParam[], nodes: Array<{ id: string; type: string }>, paramsOf: (type: string) => Record<string, unknown> | undefined): string[] {
  const missing: string[] = [];
  for (const e of exposed) {
    const node = nodes.find((n) => n.id === e.nodeId);
    if (!node || !paramsOf(node.type)?.[e.param]) missing.push(`${e.nodeId}.${e.param}`);
  }
  return missing;
}
