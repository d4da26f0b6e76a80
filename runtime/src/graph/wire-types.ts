/**
 * Types that cross the API boundary, shared by the server and the editor (type-only re-exports
 * and pure helpers, so this stays browser-safe).
 */
export { isArtifactRef, type ArtifactRef, type PortValue, type PortValues } from '../contract/values';
export type { NodeRunState, RunStatus } from '../scheduler/state';

/** A template param an end user may set: `<nodeId>.<param>` with a label and optional allowed values. */
export interface ExposedParam {
  nodeId: string;
  param: string;
  label: string;
  allowed?: unknown[];
}

/** `private`: only the owning tenant sees and uses it; `public`: listed for every tenant, price shown. */
export type TemplateVisibility = 'private' | 'public';

/** POST /api/templates: publish a graph version as a template. */
export interface PublishTemplateBody {
  graphVersionId: string;
  slug: string;
  name: string;
  description?: string;
  exposedParams: ExposedParam[];
  priceCredits: number;
  /** Defaults to `private`. */
  visibility?: TemplateVisibility;
}
