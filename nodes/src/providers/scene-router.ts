import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type IDisposable,
} from 'cockatiel';
import { isPermanentError, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import type { ReplicateGeneration } from '../generate/replicate-generation';
import type { Tier } from '../generate/scene-templates';

/**
 * Scene generation across providers: the cloud (Seedream on Replicate) and the local GPU servers
 * (FLUX Fill on Cog). Each provider has a circuit breaker per process (cockatiel); a provider that
 * fails hands the request to the next one inside the same job attempt, so an outage costs no retry.
 */

export const SCENE_PROVIDER_IDS = ['cloud', 'local'] as const;
export type SceneProviderId = (typeof SCENE_PROVIDER_IDS)[number];
/** What a graph may ask for: `auto` routes by tier, load and health; the others allow one provider only. */
export type ProviderPreference = 'auto' | SceneProviderId;

/** A generation as a provider gets it: Replicate's request, with the facts every provider records. */
export interface SceneRequest extends ReplicateGeneration {
  /** Facts the provider adds to every image it stores (which provider served, the failover chain so far). */
  meta: Record<string, unknown>;
  /** Another provider comes after this one: a saturated provider may hand the request on. */
  canSpill: boolean;
}

export interface SceneResult {
  images: ArtifactRef[];
  /** Where the product's own pixels are, when the provider inpainted around them. */
  placement?: ArtifactRef;
}

export interface SceneProvider {
  id: SceneProviderId;
  /** Whether this process has what the provider needs (a token, a server list). */
  configured(): boolean;
  /** How to configure it, for the messages that refuse a graph without it. */
  hint: string;
  /** Every server busy or in-flight at capacity: a burst goes elsewhere first. */
  saturated?(): boolean;
  generate(ctx: NodeContext, request: SceneRequest, signal: AbortSignal): Promise<SceneResult>;
}

/** One step of a request's way through the providers, kept in the output meta. */
export interface FailoverStep {
  provider: SceneProviderId;
  outcome: 'served' | 'failed' | 'skipped';
  reason?: string;
  /** ms since the request entered the router. */
  atMs: number;
}

export interface BreakerSettings {
  /** Consecutive failures (errors or timeouts) that open the breaker. */
  failures: number;
  /** How long an open breaker stays open before one trial request (half-open). */
  cooldownMs: number;
  /** One provider's time for a request; past it the request counts as a failure and moves on. */
  timeoutMs: number;
}

/** STUDIOFLOW_BREAKER_FAILURES, STUDIOFLOW_BREAKER_COOLDOWN_MS, STUDIOFLOW_PROVIDER_TIMEOUT_MS (README). */
export function breakerSettings(env: NodeJS.ProcessEnv = process.env): BreakerSettings {
  const int = (name: string, fallback: number, min: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, not "${raw}"`);
    return n;
  };
  return {
    failures: int('STUDIOFLOW_BREAKER_FAILURES', 5, 1),
    cooldownMs: int('STUDIOFLOW_BREAKER_COOLDOWN_MS', 30_000, 1),
    timeoutMs: int('STUDIOFLOW_PROVIDER_TIMEOUT_MS', 150_000, 1),
  };
}

export type BreakerStateName = 'closed' | 'open' | 'half-open';

/** A provider's breaker as reported (GET /api/providers, metrics). */
export interface BreakerStatus {
  provider: SceneProviderId;
  state: BreakerStateName;
  /** When the breaker entered this state (epoch ms). */
  since: number;
  /** Consecutive failures counted now (reset by a success). */
  consecutiveFailures: number;
  /** Totals since the process started. */
  failures: number;
  successes: number;
  opened: number;
  lastFailure?: string;
}

/** Thrown into the breaker when the job itself was aborted: not the provider's fault, not counted. */
class CallerAbortedError extends Error {
  constructor(override readonly cause: unknown) {
    super('the job was aborted');
  }
}

/** Every server of the provider is busy: the request goes on to the next provider, and it is not a failure. */
export class ProviderSaturatedError extends Error {
  constructor(readonly provider: SceneProviderId, message: string) {
    super(message);
    this.name = 'ProviderSaturatedError';
  }
}

/** The provider cannot serve anyone (a refused account): permanent for it, yet another provider can serve. */
function isProviderUnusable(err: unknown): boolean {
  return (err as { providerUnusable?: boolean } | null)?.providerUnusable === true;
}

/** A provider's failure: counted by its breaker and handed to the next provider. Other permanent errors are the input's fault. */
function isProviderFailure(err: Error): boolean {
  return !(err instanceof CallerAbortedError) && !(err instanceof ProviderSaturatedError) && (!isPermanentError(err) || isProviderUnusable(err));
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** One provider's breaker with its timeout and the counts a status report needs. */
class ProviderBreaker {
  readonly policy: CircuitBreakerPolicy;
  private readonly guarded;
  private readonly status: BreakerStatus;

  constructor(provider: SceneProviderId, private readonly settings: BreakerSettings, onChange: (status: BreakerStatus) => void) {
    this.status = { provider, state: 'closed', since: Date.now(), consecutiveFailures: 0, failures: 0, successes: 0, opened: 0 };
    this.policy = circuitBreaker(handleWhen(isProviderFailure), {
      halfOpenAfter: settings.cooldownMs,
      breaker: new ConsecutiveBreaker(settings.failures),
    });
    // The timeout runs inside the breaker, so a request past it counts as a failure.
    this.guarded = wrap(this.policy, timeout(settings.timeoutMs, TimeoutStrategy.Aggressive));
    this.policy.onStateChange((state) => {
      this.status.state = STATE_NAMES[state];
      this.status.since = Date.now();
      if (state === CircuitState.Open) this.status.opened++;
      onChange(this.snapshot());
    });
    this.policy.onFailure(({ handled, reason }) => {
      if (!handled) return;
      this.status.failures++;
      this.status.consecutiveFailures++;
      this.status.lastFailure = 'error' in reason ? reason.error.message.slice(0, 300) : 'failed';
      onChange(this.snapshot());
    });
    this.policy.onSuccess(() => {
      this.status.successes++;
      this.status.consecutiveFailures = 0;
      onChange(this.snapshot());
    });
  }

  /** Runs `work` under the breaker and the timeout; the job's own abort is passed on but never counted. */
  async execute<T>(work: (signal: AbortSignal) => Promise<T>, jobSignal: AbortSignal): Promise<T> {
    return this.guarded.execute(async ({ signal }) => {
      try {
        return await work(signal);
      } catch (err) {
        throw jobSignal.aborted ? new CallerAbortedError(err) : err;
      }
    }, jobSignal);
  }

  snapshot(): BreakerStatus {
    return { ...this.status };
  }

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }
}

/** The breakers of one process, one per provider; listeners hear every change (the Redis publisher). */
export class ProviderBreakers {
  private readonly breakers = new Map<SceneProviderId, ProviderBreaker>();
  private readonly listeners = new Set<(status: BreakerStatus) => void>();

  constructor(readonly settings: BreakerSettings = breakerSettings()) {}

  of(provider: SceneProviderId): ProviderBreaker {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      breaker = new ProviderBreaker(provider, this.settings, (status) => {
        for (const listener of this.listeners) listener(status);
      });
      this.breakers.set(provider, breaker);
    }
    return breaker;
  }

  status(): BreakerStatus[] {
    return SCENE_PROVIDER_IDS.map((id) => this.of(id).snapshot());
  }

  onChange(listener: (status: BreakerStatus) => void): IDisposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

let processBreakers: ProviderBreakers | undefined;
/** The breakers every generate-scene job in this process shares (made on first use, settings from the environment). */
export function sceneProviderBreakers(): ProviderBreakers {
  return (processBreakers ??= new ProviderBreakers());
}

/**
 * The order providers are tried in: premium → cloud first (Seedream), standard → local first
 * (FLUX Fill); a saturated local goes after the cloud (a burst spills over). An explicit
 * preference allows that provider only. Unconfigured providers are left out.
 */
export function routeOrder(providers: readonly SceneProvider[], preference: ProviderPreference, tier: Tier): SceneProvider[] {
  const byId = (id: SceneProviderId) => providers.find((p) => p.id === id);
  if (preference !== 'auto') return [byId(preference)].filter((p): p is SceneProvider => !!p?.configured());
  const local = byId('local');
  const localFirst = tier === 'standard' && !local?.saturated?.();
  const order: SceneProviderId[] = localFirst ? ['local', 'cloud'] : ['cloud', 'local'];
  return order.map(byId).filter((p): p is SceneProvider => !!p?.configured());
}

/** Every allowed provider failed or was skipped: transient, so the runtime retries the job (and refunds once if all attempts fail). */
export class AllProvidersFailedError extends Error {
  constructor(readonly chain: FailoverStep[]) {
    super(`no scene provider could serve the request: ${chain.map((s) => `${s.provider} ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`).join('; ')}`);
    this.name = 'AllProvidersFailedError';
  }
}

export interface RoutedScene extends SceneResult {
  servedBy: SceneProviderId;
  chain: FailoverStep[];
}

/** Tries the providers in route order, each under its breaker; the first that serves wins. */
export async function routeScene(
  ctx: NodeContext,
  providers: readonly SceneProvider[],
  breakers: ProviderBreakers,
  preference: ProviderPreference,
  request: Omit<SceneRequest, 'meta' | 'canSpill'>,
): Promise<RoutedScene> {
  const started = Date.now();
  const chain: FailoverStep[] = [];
  const step = (provider: SceneProviderId, outcome: FailoverStep['outcome'], reason?: string) =>
    chain.push({ provider, outcome, ...(reason ? { reason } : {}), atMs: Date.now() - started });
  const order = routeOrder(providers, preference, request.tier);
  for (const [i, provider] of order.entries()) {
    const breaker = breakers.of(provider.id);
    try {
      const meta = { sceneProvider: provider.id, failover: [...chain] };
      const canSpill = i < order.length - 1;
      const result = await breaker.execute((signal) => provider.generate(ctx, { ...request, meta, canSpill }, signal), ctx.signal);
      step(provider.id, 'served');
      if (chain.length > 1) ctx.log.info('generate-scene: served after failover', { chain });
      return { ...result, servedBy: provider.id, chain };
    } catch (err) {
      if (err instanceof CallerAbortedError) throw err.cause;
      if (isPermanentError(err) && !isProviderUnusable(err)) throw err;
      if (err instanceof BrokenCircuitError) {
        step(provider.id, 'skipped', 'breaker open');
        continue;
      }
      if (err instanceof ProviderSaturatedError) {
        step(provider.id, 'skipped', err.message);
        continue;
      }
      const reason = err instanceof TaskCancelledError ? `timed out after ${breaker.timeoutMs} ms` : (err as Error).message.slice(0, 300);
      step(provider.id, 'failed', reason);
      ctx.log.warn('generate-scene: provider failed, trying the next', { provider: provider.id, reason });
    }
  }
  throw new AllProvidersFailedError(chain);
}
