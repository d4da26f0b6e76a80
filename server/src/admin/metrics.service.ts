import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { Gauge, Registry } from 'prom-client';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { PG_POOL } from '../db/infra.module';
import { ProvidersService } from '../providers/providers.service';

/**
 * The Prometheus registry: every tenant's credits, runs and queues. Workers are separate processes,
 * so the figures are read at scrape time from the sources of truth (PostgreSQL, Redis) by each gauge's
 * collect callback: a callback queries first and then replaces its gauge's values in one synchronous
 * step, so concurrent scrapes never see each other's half-reset series.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly coordinator: RunCoordinator,
    private readonly providers: ProvidersService,
  ) {
    const rows = (sql: string) => this.pool.query(sql).then((r) => r.rows);
    this.gauge('studioflow_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async () => {
      const out: Sample[] = [];
      for (const [queue, q] of Object.entries(this.coordinator.queues.all())) {
        const { prioritized, ...counts } = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
        // Jobs with a priority (fair shares across tenants) wait in BullMQ's 'prioritized' set: still waiting.
        counts.waiting = (counts.waiting ?? 0) + (prioritized ?? 0);
        for (const [state, n] of Object.entries(counts)) out.push([{ queue, state }, n]);
      }
      return out;
    });
    this.gauge('studioflow_node_runs', 'Node runs by type and state', ['type', 'state'], async () =>
      (await rows(`SELECT node_type, state, count(*)::int AS n FROM node_runs GROUP BY 1, 2`)).map((r) => [{ type: r.node_type, state: r.state }, r.n]),
    );
    this.gauge('studioflow_node_retries', 'Extra attempts by node type', ['type'], async () =>
      (await rows(`SELECT node_type, sum(greatest(attempts - 1, 0))::int AS n FROM node_runs GROUP BY 1`)).map((r) => [{ type: r.node_type }, r.n]),
    );
    this.gauge('studioflow_node_duration_seconds', 'Node duration over the last hour', ['type', 'quantile'], async () =>
      (
        await rows(`SELECT node_type, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95 FROM node_runs
            WHERE duration_ms IS NOT NULL AND finished_at > now() - interval '1 hour' GROUP BY 1`)
      ).flatMap((r): Sample[] => [
        [{ type: r.node_type, quantile: '0.5' }, r.p50 / 1000],
        [{ type: r.node_type, quantile: '0.95' }, r.p95 / 1000],
      ]),
    );
    const ledger = () => rows(`SELECT kind, sum(amount)::int AS total, count(*)::int AS n FROM credit_ledger GROUP BY 1`);
    this.gauge('studioflow_credits', 'Credit ledger totals by kind', ['kind'], async () => (await ledger()).map((r) => [{ kind: r.kind }, r.total]));
    this.gauge('studioflow_ledger_entries', 'Ledger entries by kind', ['kind'], async () => (await ledger()).map((r) => [{ kind: r.kind }, r.n]));
    this.gauge('studioflow_cache_hit_ratio', 'cached / (cached + done) node runs', [], async () => {
      const [c] = await rows(`SELECT count(*) FILTER (WHERE state = 'cached')::float AS cached, count(*) FILTER (WHERE state IN ('cached', 'done'))::float AS total FROM node_runs`);
      return [[{}, c.total ? c.cached / c.total : 0]];
    });
    this.gauge('studioflow_runs', 'Runs by status', ['status'], async () =>
      (await rows(`SELECT status, count(*)::int AS n FROM runs GROUP BY 1`)).map((r) => [{ status: r.status }, r.n]),
    );
    this.gauge('studioflow_dead_letters_open', 'Open dead letters', [], async () => {
      const [d] = await rows(`SELECT count(*)::int AS n FROM dead_letters WHERE status = 'open'`);
      return [[{}, d.n]];
    });
    this.gauge('studioflow_artifact_bytes', 'Bytes of distinct artifacts recorded, and of those marked for deletion', ['state'], async () => {
      const [a] = await rows(`SELECT coalesce(sum(bytes), 0)::float8 AS stored FROM (SELECT DISTINCT ON (hash) bytes FROM artifacts) x`);
      const [m] = await rows(`SELECT coalesce(sum(bytes), 0)::float8 AS marked, count(*)::int AS n FROM artifact_sweeps`);
      return [[{ state: 'stored' }, a.stored], [{ state: 'marked' }, m.marked]];
    });
    // Passes are recorded in PostgreSQL, so every API process reports the same totals whichever one swept.
    const passes = () => rows(`SELECT count(*)::int AS passes, coalesce(sum(deleted), 0)::float8 AS deleted, coalesce(sum(bytes_freed), 0)::float8 AS bytes,
        coalesce(sum(cache_entries_expired), 0)::float8 AS cache, coalesce(sum(kept), 0)::float8 AS kept,
        coalesce(extract(epoch FROM max(finished_at)), 0)::float8 AS last FROM artifact_gc_passes`);
    this.gauge('studioflow_artifact_gc_passes', 'Collector passes run', [], async () => [[{}, (await passes())[0].passes]]);
    this.gauge('studioflow_artifact_gc_deleted', 'Artifacts the collector deleted, all passes', [], async () => [[{}, (await passes())[0].deleted]]);
    this.gauge('studioflow_artifact_gc_bytes_freed', 'Bytes the collector freed, all passes', [], async () => [[{}, (await passes())[0].bytes]]);
    this.gauge('studioflow_artifact_gc_kept', 'Marked artifacts kept because something used them again, all passes', [], async () => [[{}, (await passes())[0].kept]]);
    this.gauge('studioflow_artifact_gc_cache_entries_expired', 'Execution-cache entries expired, all passes', [], async () => [[{}, (await passes())[0].cache]]);
    this.gauge('studioflow_artifact_gc_last_pass_seconds', 'Unix time the last collector pass ended (0: none yet)', [], async () => [[{}, (await passes())[0].last]]);
    // One reading of the providers per scrape serves all four gauges.
    let providerReading: ReturnType<ProvidersService['status']> | undefined;
    const providerStatus = () => (providerReading ??= this.providers.status().finally(() => setTimeout(() => (providerReading = undefined), 0)));
    const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
    this.gauge('studioflow_provider_configured', 'Scene provider configured in the API (1) or not (0)', ['provider'], async () =>
      (await providerStatus()).providers.map((p) => [{ provider: p.id }, p.configured ? 1 : 0]),
    );
    this.gauge('studioflow_provider_breaker_state', 'Most severe breaker state across workers: 0 closed, 1 half-open, 2 open', ['provider'], async () =>
      (await providerStatus()).providers.map((p) => [{ provider: p.id }, BREAKER_VALUE[p.breaker.state]]),
    );
    this.gauge('studioflow_provider_failures', 'Provider failures (errors, timeouts) counted by the live workers\' breakers', ['provider'], async () =>
      (await providerStatus()).providers.map((p) => [{ provider: p.id }, p.breaker.failures]),
    );
    this.gauge('studioflow_provider_in_flight', 'Predictions in flight per local Cog server', ['server'], async () =>
      (await providerStatus()).providers.flatMap((p) => (p.servers ?? []).map((s): Sample => [{ server: s.url }, s.inFlight])),
    );
  }

  /** The exposition text, every gauge read now. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private gauge(name: string, help: string, labelNames: string[], read: () => Promise<Sample[]>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const samples = await read();
        // Reset and refill with no await in between: a concurrent scrape sees one whole reading.
        this.reset();
        for (const [labels, value] of samples) this.set(labels, value);
      },
    });
  }
}

type Sample = [Record<string, string>, number];
