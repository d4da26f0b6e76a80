import { Controller, ForbiddenException, Get, Header, Inject, Req, UnauthorizedException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { Gauge, Registry } from 'prom-client';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { admits } from '../auth/access-policy';
import { ApiKeyService } from '../auth/api-keys';
import { Public } from '../auth/decorators';
import { sameSecret } from '../common/same-secret';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { PG_POOL } from '../db/infra.module';

/**
 * Prometheus metrics for the platform operator: every tenant's credits and runs, so a scraper shows
 * the scrape token (METRICS_TOKEN) or the operator's API key. Workers are separate processes, so the
 * figures are read at scrape time from the sources of truth (PostgreSQL, Redis) by each gauge's
 * collect callback: a callback queries first and then replaces its gauge's values in one synchronous
 * step, so concurrent scrapes never see each other's half-reset series.
 */
@ApiTags('admin')
@Controller()
export class MetricsController {
  private readonly registry = new Registry();

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly coordinator: RunCoordinator,
    private readonly keys: ApiKeyService,
  ) {
    const rows = (sql: string) => this.pool.query(sql).then((r) => r.rows);
    this.gauge('studioflow_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async () => {
      const out: Sample[] = [];
      for (const [queue, q] of Object.entries(this.coordinator.queues.queues)) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
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
  }

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @Header('Cache-Control', 'no-store')
  async metrics(@Req() req: Request): Promise<string> {
    await this.authorize(req.headers.authorization);
    return this.registry.metrics();
  }

  /** The scrape token, or an API key of the platform operator. */
  private async authorize(header: string | undefined): Promise<void> {
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!presented) throw new UnauthorizedException('metrics need the scrape token or the operator key (Authorization: Bearer …)');
    if (this.config.metricsToken && sameSecret(presented, this.config.metricsToken)) return;
    const principal = await this.keys.resolve(presented);
    if (!principal) throw new UnauthorizedException('unknown scrape token or API key');
    if (!admits(['operator'], principal.role)) throw new ForbiddenException('metrics cover every tenant: only the platform operator may read them');
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
