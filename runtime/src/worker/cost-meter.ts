import { costOf, type ArtifactRef, type CostPart, type NodeCost } from '../contract';

/** What our own resources cost, set per install (the README's environment table). */
export interface CostRates {
  /** One GPU slot for an hour. */
  gpuUsdPerHour: number;
  /** Keeping one GB for a month; a node's new artifacts are charged one month of storage. */
  storageUsdPerGbMonth: number;
}

export const DEFAULT_COST_RATES: CostRates = { gpuUsdPerHour: 1.1, storageUsdPerGbMonth: 0.023 };

/** STUDIOFLOW_GPU_USD_PER_HOUR and STUDIOFLOW_STORAGE_USD_PER_GB_MONTH, or the defaults. */
export function costRatesFromEnv(env: NodeJS.ProcessEnv = process.env): CostRates {
  return {
    gpuUsdPerHour: rate(env, 'STUDIOFLOW_GPU_USD_PER_HOUR', DEFAULT_COST_RATES.gpuUsdPerHour),
    storageUsdPerGbMonth: rate(env, 'STUDIOFLOW_STORAGE_USD_PER_GB_MONTH', DEFAULT_COST_RATES.storageUsdPerGbMonth),
  };
}

function rate(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number of US dollars, not "${raw}"`);
  return value;
}

const GB = 1024 ** 3;

/**
 * One job's cost: the parts the node reports through ctx.cost, plus what the host measures itself
 * (GPU time on a gpu slot, bytes of the artifacts the node stored). The worker host, the local
 * runner and the test harness each keep one per execution.
 */
export class CostMeter {
  private readonly parts: CostPart[] = [];

  constructor(private readonly rates: CostRates = DEFAULT_COST_RATES) {}

  /** ctx.cost: a wrong amount is the node's bug, so it fails the node rather than skew the sums. */
  readonly record = (part: CostPart): void => {
    if (!['cloud', 'gpu', 'storage'].includes(part.kind)) throw new TypeError(`ctx.cost: unknown kind "${String(part.kind)}"`);
    if (typeof part.usd !== 'number' || !Number.isFinite(part.usd) || part.usd < 0) throw new TypeError(`ctx.cost: usd must be a non-negative number, not ${String(part.usd)}`);
    this.parts.push({ ...part });
  };

  /** Time a job held a GPU slot. */
  gpuTime(ms: number): void {
    if (ms <= 0) return;
    const seconds = ms / 1000;
    this.parts.push({ kind: 'gpu', usd: (seconds / 3600) * this.rates.gpuUsdPerHour, detail: `${seconds.toFixed(2)} GPU s × $${this.rates.gpuUsdPerHour}/h` });
  }

  /** The artifacts a job stored (each file once: the store is content-addressed), charged one month at the storage rate. */
  storage(refs: readonly Pick<ArtifactRef, 'hash' | 'bytes'>[]): void {
    const sizes = new Map(refs.map((r) => [r.hash, r.bytes ?? 0]));
    const bytes = [...sizes.values()].reduce((sum, b) => sum + b, 0);
    if (bytes <= 0) return;
    this.parts.push({ kind: 'storage', usd: (bytes / GB) * this.rates.storageUsdPerGbMonth, detail: `${bytes} bytes × 1 month × $${this.rates.storageUsdPerGbMonth}/GB-month` });
  }

  /** Everything recorded so far. */
  get recorded(): readonly CostPart[] {
    return this.parts;
  }

  total(): NodeCost {
    return costOf(this.parts);
  }
}
