import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import { Gauge, Registry } from 'prom-client';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { Public } from '../auth/decorators';
import { PG_POOL } from '../db/infra.module';

/**
 * Prometheus metrics. Workers are separate processes, so the figures are read at scrape time from
 * the sources of truth (PostgreSQL for node runs, ledger and cache; Redis for queue depth) rather
 * than from in-process counters that each worker would hold separately.
 */
@ApiTags('admin')
@Controller()
export class MetricsController {
  private readonly registry = new Registry();
  private readonly queueDepth = new Gauge({ name: 'studioflow_queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly nodeRuns = new Gauge({ name: 'studioflow_node_runs', help: 'Node runs by type and state', labelNames: ['type', 'state'], registers: [this.registry] });
  private readonly duration = new Gauge({ name: 'studioflow_node_duration_seconds', help: 'Node duration over the last hour', labelNames: ['type', 'quantile'], registers: [this.registry] });
  private readonly retries = new Gauge({ name: 'studioflow_node_retries', help: 'Extra attempts by node type', labelNames: ['type'], registers: [this.registry] });
  private readonly ledger = new Gauge({ name: 'studioflow_credits', help: 'Credit ledger totals by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly ledgerCount = new Gauge({ name: 'studioflow_ledger_entries', help: 'Ledger entries by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly cacheRatio = new Gauge({ name: 'studioflow_cache_hit_ratio', help: 'cached / (cached + done) node runs', registers: [this.registry] });
  private readonly runs = new Gauge({ name: 'studioflow_runs', help: 'Runs by status', labelNames: ['status'], registers: [this.registry] });
  private readonly deadLetters = new Gauge({ name: 'studioflow_dead_letters_open', help: 'Open dead letters', registers: [this.registry] });

  constructor(@Inject(PG_POOL) private readonly pool: Pool, private readonly coordinator: RunCoordinator) {}

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    for (const g of [this.queueDepth, this.nodeRuns, this.duration, this.retries, this.ledger, this.ledgerCount, this.runs]) g.reset();
    for (const [name, queue] of Object.entries(this.coordinator.queues.queues)) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      for (const [state, n] of Object.entries(counts)) this.queueDepth.set({ queue: name, state }, n);
    }
    const q = (sql: string) => this.pool.query(sql).then((r) => r.rows);
    for (const r of await q(`SELECT node_type, state, count(*)::int AS n, sum(greatest(attempts - 1, 0))::int AS retries FROM node_runs GROUP BY 1, 2`)) {
      this.nodeRuns.set({ type: r.node_type, state: r.state }, r.n);
      this.retries.inc({ type: r.node_type }, r.retries ?? 0);
    }
    for (const r of await q(`SELECT node_type, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95 FROM node_runs
        WHERE duration_ms IS NOT NULL AND finished_at > now() - interval '1 hour' GROUP BY 1`)) {
      this.duration.set({ type: r.node_type, quantile: '0.5' }, r.p50 / 1000);
      this.duration.set({ type: r.node_type, quantile: '0.95' }, r.p95 / 1000);
    }
    for (const r of await q(`SELECT kind, sum(amount)::int AS total, count(*)::int AS n FROM credit_ledger GROUP BY 1`)) {
      this.ledger.set({ kind: r.kind }, r.total);
      this.ledgerCount.set({ kind: r.kind }, r.n);
    }
    const [c] = await q(`SELECT count(*) FILTER (WHERE state = 'cached')::float AS cached, count(*) FILTER (WHERE state IN ('cached', 'done'))::float AS total FROM node_runs`);
    this.cacheRatio.set(c.total ? c.cached / c.total : 0);
    for (const r of await q(`SELECT status, count(*)::int AS n FROM runs GROUP BY 1`)) this.runs.set({ status: r.status }, r.n);
    const [d] = await q(`SELECT count(*)::int AS n FROM dead_letters WHERE status = 'open'`);
    this.deadLetters.set(d.n);
    return this.registry.metrics();
  }
}
