/**
 * What running a node cost (issue 11 §7). Browser-safe: the wire events and the editor use these
 * types too. Amounts are US dollars.
 */

/** cloud: a provider's price (per image, per second); gpu: our GPU time; storage: bytes kept. */
export type CostKind = 'cloud' | 'gpu' | 'storage';

export interface CostPart {
  kind: CostKind;
  usd: number;
  /** The model or provider the money went to, e.g. "bytedance/seedream-4". */
  model?: string;
  /** What was counted, for a person reading it: "2 images × $0.03", "12.4 GPU s". */
  detail?: string;
}

/** One node execution's cost: the sum and what it is made of. */
export interface NodeCost {
  usd: number;
  parts: CostPart[];
}

/** What a node served from the cache costs: nothing was run and nothing new was stored. */
export const NO_COST: NodeCost = Object.freeze({ usd: 0, parts: [] }) as NodeCost;

/** Sums parts; the sum is rounded to a micro-dollar, what the database keeps. */
export function costOf(parts: readonly CostPart[]): NodeCost {
  return { usd: roundUsd(parts.reduce((sum, p) => sum + p.usd, 0)), parts: [...parts] };
}

export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
