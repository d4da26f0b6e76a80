import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CogClient, SCENE_PROVIDERS, localSceneProvider, type BreakerStateName, type BreakerStatus, type SceneProviderId } from '@studioflow/nodes';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { REDIS } from '../db/infra.module';
import { readProviderState, type WorkerProviderState } from './provider-state';

/** A health check may not hold the answer up longer than this. */
const PROBE_TIMEOUT_MS = 2_000;
const SEVERITY: Record<BreakerStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface ProviderBreakerView {
  /** The most severe state any worker's breaker is in (each worker has its own). */
  state: BreakerStateName;
  since: number | null;
  /** Failures counted by every worker since it started. */
  failures: number;
  consecutiveFailures: number;
  opened: number;
  lastFailure: string | null;
  workers: Array<{ worker: string; state: BreakerStateName; since: number; failures: number }>;
}

export interface LocalServerView {
  url: string;
  /** The server's health-check status, or `unreachable`. */
  health: string;
  /** Predictions our workers have on it now. */
  inFlight: number;
}

export interface ProviderView {
  id: SceneProviderId;
  configured: boolean;
  hint: string;
  breaker: ProviderBreakerView;
  servers?: LocalServerView[];
}

/** The scene providers as the workers see them (Redis) plus a live probe of the local servers. */
@Injectable()
export class ProvidersService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async status(): Promise<{ providers: ProviderView[]; workers: number; checkedAt: string }> {
    const workers = await readProviderState(this.redis, this.config.queuePrefix);
    const providers = await Promise.all(
      SCENE_PROVIDERS.map(async (p): Promise<ProviderView> => ({
        id: p.id,
        configured: p.configured(),
        hint: p.hint,
        breaker: breakerView(p.id, workers),
        ...(p.id === 'local' ? { servers: await this.localServers(workers) } : {}),
      })),
    );
    return { providers, workers: workers.length, checkedAt: new Date().toISOString() };
  }

  private async localServers(workers: WorkerProviderState[]): Promise<LocalServerView[]> {
    return Promise.all(
      localSceneProvider.status().map(async ({ url }) => {
        const health = await new CogClient({ baseUrl: url })
          .health(AbortSignal.timeout(PROBE_TIMEOUT_MS))
          .then((h) => h.status as string, () => 'unreachable');
        const inFlight = workers.reduce((n, w) => n + (w.local.find((s) => s.url === url)?.inFlight ?? 0), 0);
        return { url, health, inFlight };
      }),
    );
  }
}

function breakerView(id: SceneProviderId, workers: WorkerProviderState[]): ProviderBreakerView {
  const states = workers
    .map((w) => ({ worker: w.worker, status: w.breakers.find((b) => b.provider === id) }))
    .filter((w): w is { worker: string; status: BreakerStatus } => !!w.status);
  const worst = [...states].sort((a, b) => SEVERITY[b.status.state] - SEVERITY[a.status.state] || b.status.since - a.status.since)[0]?.status;
  const sum = (pick: (s: BreakerStatus) => number) => states.reduce((n, s) => n + pick(s.status), 0);
  return {
    state: worst?.state ?? 'closed',
    since: worst?.since ?? null,
    failures: sum((s) => s.failures),
    consecutiveFailures: Math.max(0, ...states.map((s) => s.status.consecutiveFailures)),
    opened: sum((s) => s.opened),
    lastFailure: worst?.lastFailure ?? states.find((s) => s.status.lastFailure)?.status.lastFailure ?? null,
    workers: states.map(({ worker, status }) => ({ worker, state: status.state, since: status.since, failures: status.failures })),
  };
}
