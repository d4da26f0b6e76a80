import type { PortValue } from '../contract/values';
import type { ParamRange } from '../graph/gate-check';
import { descendantsOf, type RunPlan } from './plan';

/**
 * A retry gate's policy, decided by the scheduler alone (no worker): below `threshold`, re-run
 * `rerunFrom` and everything between it and the gate with the `adjust` steps applied, at most
 * `maxAttempts` attempts in all; then park for review or fail the run.
 */
export interface RetryGateParams {
  threshold: number;
  /** Attempts including the first. */
  maxAttempts: number;
  /** The root of the upstream subgraph a retry re-runs. */
  rerunFrom: string;
  /** Applied in order before every retry, each to the params of the attempt before. */
  adjust: AdjustStep[];
  onExhausted: 'review' | 'fail';
}

export interface AdjustStep {
  /** `<nodeId>.<param>`, as template overrides name params. */
  param: string;
  /** add: a number to the value; set: the value; newSeed: a seed derived from run, gate and attempt; cycle: the next of a list. */
  op: 'add' | 'set' | 'newSeed' | 'cycle';
  value?: unknown;
}

/** One attempt as the gate saw it: the adjusted params in effect and the score they got. */
export interface GateAttempt {
  attempt: number;
  score: number;
  params: Record<string, unknown>;
  passed: boolean;
  /** Adjustments for the retry this attempt led to that left their param's schema range, and the bound used instead. */
  clamped?: ClampedAdjustment[];
}

/** An adjusted value past its param's minimum or maximum, and the bound the retry used. */
export interface ClampedAdjustment {
  param: string;
  wanted: number;
  applied: number;
}

/** The gate's `report` output; kept on the gate between attempts so every attempt stays visible. */
export interface GateReport {
  threshold: number;
  maxAttempts: number;
  passed: boolean;
  attempts: GateAttempt[];
  review?: { decision: 'approve'; note: string };
}

/** A gate's effective params; the validator held them to the node's schema when the graph compiled. */
export function gateParams(params: Record<string, unknown>): RetryGateParams {
  return params as unknown as RetryGateParams;
}

/** A score port carries `{ score, … }`; a bare number is taken as it is. Anything else is no score. */
export function readScore(value: PortValue | undefined): number | undefined {
  const score = typeof value === 'number' ? value : (value as { score?: unknown } | null | undefined)?.score;
  return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
}

/** The attempts recorded so far on a gate (its report output), oldest first. */
export function gateReport({ threshold, maxAttempts }: RetryGateParams, outputs: Record<string, PortValue> | undefined): GateReport {
  const kept = outputs?.report as GateReport | undefined;
  return { threshold, maxAttempts, passed: false, attempts: kept?.attempts ?? [] };
}

/** `<nodeId>.<param>` split at its first dot. */
export function splitParamKey(key: string): { nodeId: string; param: string } {
  const dot = key.indexOf('.');
  return { nodeId: key.slice(0, dot), param: key.slice(dot + 1) };
}

/** The current value of every adjusted param, keyed as the steps name them. */
export function adjustedValues(steps: readonly AdjustStep[], paramsOf: (nodeId: string) => Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const step of steps) {
    const { nodeId, param } = splitParamKey(step.param);
    values[step.param] = paramsOf(nodeId)[param];
  }
  return values;
}

/**
 * The param overrides for the next attempt, per node: each step applied in order to the value the
 * previous step (or attempt) left, then clamped into the param's schema range (`ranges`, from the
 * plan) with every clamp listed. `seedBasis` makes newSeed deterministic: the same run, gate and
 * attempt always give the same seed, so decide stays pure and replays agree.
 */
export function nextAttemptParams(
  steps: readonly AdjustStep[],
  paramsOf: (nodeId: string) => Record<string, unknown>,
  seedBasis: string,
  ranges: Readonly<Record<string, ParamRange>> = {},
): { overrides: Record<string, Record<string, unknown>>; clamped: ClampedAdjustment[] } {
  const overrides: Record<string, Record<string, unknown>> = {};
  const clamped = new Map<string, ClampedAdjustment>();
  for (const step of steps) {
    const { nodeId, param } = splitParamKey(step.param);
    const current = param in (overrides[nodeId] ?? {}) ? overrides[nodeId][param] : paramsOf(nodeId)[param];
    const wanted = applyStep(step, current, `${seedBasis}/${step.param}`);
    const applied = clampTo(ranges[step.param], wanted);
    if (applied !== wanted) clamped.set(step.param, { param: step.param, wanted: wanted as number, applied: applied as number });
    else clamped.delete(step.param);
    (overrides[nodeId] ??= {})[param] = applied;
  }
  return { overrides, clamped: [...clamped.values()] };
}

function clampTo(range: ParamRange | undefined, value: unknown): unknown {
  if (!range || typeof value !== 'number') return value;
  if (range.maximum !== undefined && value > range.maximum) return range.maximum;
  if (range.minimum !== undefined && value < range.minimum) return range.minimum;
  return value;
}

function applyStep(step: AdjustStep, current: unknown, seedBasis: string): unknown {
  switch (step.op) {
    case 'add':
      // Rounded so repeated steps of 0.1 read as 0.75, not 0.7499999999999999, in params and report.
      return Math.round(((typeof current === 'number' ? current : 0) + Number(step.value ?? 0)) * 1e9) / 1e9;
    case 'set':
      return step.value;
    case 'newSeed':
      return derivedSeed(seedBasis);
    case 'cycle': {
      const choices = Array.isArray(step.value) ? step.value : [];
      if (choices.length === 0) return current;
      const at = choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(current));
      return choices[(at + 1) % choices.length];
    }
  }
}

/** FNV-1a over the basis, as a non-negative 31-bit integer (what seed params accept). */
export function derivedSeed(basis: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < basis.length; i++) {
    hash ^= basis.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x7fffffff;
}

/**
 * What a retry re-runs: `rerunFrom` and everything downstream of it, except what lies beyond the gate
 * (that waits for the gate to pass). Side branches of the subgraph re-run too, so none keeps the
 * output of a rejected attempt.
 */
export function retryScope(plan: RunPlan, gateId: string, rerunFrom: string): string[] {
  const beyond = new Set(descendantsOf(plan, gateId));
  return descendantsOf(plan, rerunFrom).filter((id) => id === gateId || !beyond.has(id));
}
