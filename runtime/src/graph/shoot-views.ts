/**
 * What the shoot app reads about templates and shoots beyond the raw run: browser-safe types shared
 * by the server (templates and shoots services) and the sellers' app.
 */
import type { NodeRunState, RunStatus } from '../scheduler/state';

/**
 * One option a seller may set on a template (an exposed param), with what a form needs to draw it:
 * the param's JSON Schema (narrowed to the template's allowed values) and the value the template uses
 * when the seller leaves it alone.
 */
export interface TemplateOption {
  /** `<nodeId>.<param>`, the key of the shoot's `params` JSON. */
  key: string;
  label: string;
  schema: Record<string, unknown>;
  default: unknown;
}

/** Signed download links of a finished shoot; a format is absent when the shoot did not produce it. */
export interface ShootDownloads {
  jpeg?: string;
  webp?: string;
  /** The product cut out on a transparent background (RGBA PNG). */
  png?: string;
}

/** Which method and model made a cut-out, under which licence (the segment node's outputs carry it in meta). */
export interface CutoutMethod {
  /** alpha: the photo's own transparency; classical: the built-in model-free matte; onnx: a segmentation model. */
  method: 'alpha' | 'classical' | 'onnx';
  /** The model preset id; null without a model. */
  model: string | null;
  licence: string;
}

/** A cut-out's method, and how far the segment node trusted it (absent for a photo's own alpha). */
export interface CutoutProvenance extends CutoutMethod {
  trust?: { score: number; verdict: 'trusted' | 'doubtful'; reason: string };
}

/** A cut-out's provenance from its artifact meta (written by the segment node); null when the meta names no method. */
export function cutoutProvenance(meta: Record<string, unknown> | undefined): CutoutProvenance | null {
  const m = meta ?? {};
  if (m.method !== 'onnx' && m.method !== 'alpha' && m.method !== 'classical') return null;
  const trust = m.trust as { score?: unknown; verdict?: unknown; reason?: unknown } | undefined;
  return {
    method: m.method,
    model: typeof m.model === 'string' ? m.model : null,
    licence: typeof m.licence === 'string' ? m.licence : '',
    ...(trust && typeof trust.score === 'number'
      ? { trust: { score: trust.score, verdict: trust.verdict === 'doubtful' ? 'doubtful' : 'trusted', reason: typeof trust.reason === 'string' ? trust.reason : '' } }
      : {}),
  };
}

/** How the editor and the shoot app name what made a cut-out. */
export function describeCutoutMethod(c: CutoutMethod): string {
  if (c.method === 'alpha') return "the photo's own transparency";
  if (c.method === 'onnx') return `the segmentation model ${c.model ?? '(unnamed)'}${c.licence ? ` · ${c.licence}` : ''}`;
  return 'the built-in matte (no model)';
}

/** What a seller's shoot shows beside its run state: the photo sent, the files made, the money back. */
export interface ShootExtras {
  templateName: string | null;
  /** What made the product's cut-out, once the segment node has run. */
  cutout?: CutoutProvenance;
  /** The seller's photo as the run read it (signed URL), for the before/after compare. */
  original?: string;
  downloads: ShootDownloads;
  /** Credits given back for this shoot (a failed, rejected or cancelled shoot is refunded). */
  refundedCredits: number;
}

/** One node of a shoot as GET /api/v1/shoots/:id answers it (artifact refs carry a signed `url`). */
export interface ShootNodeView {
  nodeId: string;
  type: string;
  state: NodeRunState;
  error?: string | null;
  outputs?: Record<string, unknown> | null;
}

/** GET /api/v1/shoots/:id as the shoot app reads it. */
export interface ShootView extends ShootExtras {
  id: string;
  status: RunStatus;
  templateId: string | null;
  priceCredits: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  results: Record<string, string>;
  nodes: ShootNodeView[];
}

/** One row of GET /api/v1/shoots (newest first). */
export interface ShootSummary {
  id: string;
  status: RunStatus;
  templateId: string | null;
  templateName: string | null;
  priceCredits: number;
  refundedCredits: number;
  /** Share of the shoot's steps finished, 0 to 1. */
  progress: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  results: Record<string, string>;
}
