/**
 * The review console's contract (GET/POST /api/v1/reviews…, and its Socket.IO events), shared by
 * the server and the console. Browser-safe: types and constants only.
 */
import type { RunStatus } from '../scheduler/state';

/** How long a parked run may wait when its review node names no SLA (and for retry gates). */
export const DEFAULT_REVIEW_SLA_MINUTES = 60;

export type ReviewDecisionKind = 'approve' | 'reject' | 'retry';

/** An image a reviewer looks at: a signed URL that needs no key, so an <img> can load it. */
export interface ReviewImage {
  hash: string;
  url: string;
  mime: string;
  width?: number;
  height?: number;
}

/** A product-fidelity check of one candidate: the weakest part decides, each part against the threshold. */
export interface FidelityCheck {
  /** The product-fidelity node that measured it. */
  nodeId: string;
  score: number;
  pass: boolean;
  threshold: number;
  /** Per part (shape, colour, detail, edges…) the 0–1 score compared with the threshold. */
  partScores: Record<string, number>;
  /** The raw measurements behind the part scores (IoU, ΔE, SSIM…). */
  parts: Record<string, number>;
  failing: string[];
  /** Why the product was not found in the candidate, when it was not. */
  reason?: string;
}

/** A CLIP text–image score of one candidate (0–1). */
export interface ClipCheck {
  nodeId: string;
  score: number;
  similarity?: number;
}

export interface ReviewCandidate {
  image: ReviewImage;
  fidelity?: FidelityCheck;
  clip?: ClipCheck;
}

/**
 * A param the reviewer may change before a retry: the node that owns it (the retry re-runs from that
 * node), the param's JSON Schema (title, range, enum, default) and its value in this run.
 */
export interface AdjustableParam {
  name: string;
  title: string;
  schema: Record<string, unknown>;
  value: unknown;
}

export interface AdjustableNode {
  nodeId: string;
  type: string;
  title: string;
  params: AdjustableParam[];
}

/** One attempt a retry gate made before it parked the run. */
export interface ReviewGateAttempt {
  attempt: number;
  score: number;
  passed: boolean;
  params: Record<string, unknown>;
}

/** One run parked at a review node (a human-review node, or a retry gate out of attempts). */
export interface ReviewItem {
  runId: string;
  /** A shoot is a run started from a template: the same id. */
  shootId: string;
  nodeId: string;
  nodeType: string;
  /** The parked attempt: a decision is for this one. */
  generation: number;
  template: { id: string; slug: string; name: string } | null;
  /** When the run parked here (ISO 8601). */
  since: string;
  ageSeconds: number;
  slaMinutes: number;
  dueAt: string;
  overdue: boolean;
  instructions: string;
  /** The photo the run was started with. */
  original: ReviewImage | null;
  candidates: ReviewCandidate[];
  /** A retry gate's attempts so far. */
  attempts?: ReviewGateAttempt[];
  /** Results upstream marked doubtful (meta.trust), e.g. a cut-out the segment node doubts: why the run parked. */
  doubts?: ReviewDoubt[];
  /** Upstream nodes whose params a retry may change, nearest first. */
  adjustable: AdjustableNode[];
  /** The node a retry re-runs from when the decision names none. */
  defaultRerunFrom: string | null;
}

/** A doubtful upstream result shown to the reviewer: the image itself and the reason in plain words. */
export interface ReviewDoubt {
  nodeId: string;
  port: string;
  image: ReviewImage;
  reason: string;
  score: number;
}

/** One decision as the audit trail keeps it. */
export interface ReviewAuditEntry {
  id: string;
  runId: string;
  nodeId: string;
  generation: number;
  decision: ReviewDecisionKind;
  reason: string | null;
  actor: { userId: string; name: string | null; email: string | null; role: string };
  decidedAt: string;
  rerunFrom: string | null;
  paramsBefore: Record<string, unknown> | null;
  paramsAfter: Record<string, unknown> | null;
}

/** GET /api/v1/reviews/:runId: the run's open review(s) and every decision taken on it. */
export interface ReviewDetail {
  runId: string;
  status: RunStatus;
  template: ReviewItem['template'];
  open: ReviewItem[];
  audit: ReviewAuditEntry[];
}

/** POST /api/v1/reviews/:runId */
export interface ReviewDecisionBody {
  decision: ReviewDecisionKind;
  /** Which parked node, when the run has more than one open review. */
  nodeId?: string;
  /** Required to reject; kept in the audit trail for every decision. */
  reason?: string;
  /** retry: the upstream node to re-run (default: the item's defaultRerunFrom) and its new params. */
  rerunFrom?: string;
  params?: Record<string, unknown>;
}

export interface ReviewDecisionAnswer {
  runId: string;
  nodeId: string;
  decision: ReviewDecisionKind;
  auditId: string;
}

/** Socket.IO events to the reviewers and staff of a tenant (room `reviews:<tenant id>`). */
export interface ReviewEventMap {
  'review.parked': { runId: string; nodeId: string };
  'review.decided': { runId: string; nodeId: string; decision: ReviewDecisionKind; by: string };
}
