import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { createRedis, NodeQueues, RunCoordinator } from '../../../src/bullmq';
import type { GraphDoc } from '../../../src/graph';
import { compilePlan } from '../../../src/scheduler';
import { PgRunStore } from '../../../src/store';
import { faultCatalog } from './fault-nodes';
import { hashTaggedPrefix } from '../../../src/config';

/** A private redis-server (so killing it cannot disturb anything else) on a free loopback port. */
export class PrivateRedis {
  process?: ChildProcess;
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = createRedis({ url: this.url, prefix: 'probe' }, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  }

  /** SIGKILL: all data is lost, exactly like a Redis without persistence crashing. */
  async kill(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface Figures {
  scenario: string;
  runs: number;
  completed: number;
  failed: number;
  charges: number;
  refunds: number;
  extra: string;
  seconds: number;
}

/** Real PostgreSQL, a private Redis and real worker processes for one fault scenario. */
export class FaultHarness {
  readonly workers: ChildProcess[] = [];
  private reconciler?: NodeJS.Timeout;

  private constructor(
    readonly db: ScratchDatabase,
    readonly pool: Pool,
    readonly redis: PrivateRedis,
    readonly prefix: string,
    readonly storageDir: string,
    readonly coordinator: RunCoordinator,
    readonly tenantId: string,
    readonly versionId: string,
    private readonly connection: import('ioredis').Redis,
  ) {}

  static async start(label: string): Promise<FaultHarness> {
    const db = await createScratchDatabase(label);
    const pool = db.pool(8);
    const redis = await PrivateRedis.start();
    const prefix = hashTaggedPrefix(`sffault-${randomBytes(3).toString('hex')}`);
    const connection = createRedis({ url: redis.url, prefix });
    connection.on('error', () => undefined); // expected while the scenario kills Redis
    const coordinator = RunCoordinator.create(new PgRunStore(pool), connection, prefix, new NodeQueues(connection, prefix));
    const tenantId = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('fault', 1000000) RETURNING id`)).rows[0].id;
    const g = (await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenantId])).rows[0].id;
    const versionId = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [g, tenantId])).rows[0].id;
    const storageDir = await mkdtemp(join(tmpdir(), 'sf-fault-'));
    return new FaultHarness(db, pool, redis, prefix, storageDir, coordinator, tenantId, versionId, connection);
  }

  startWorker(concurrency = 20): ChildProcess {
    const child = spawn(process.execPath, [resolve(__dirname, 'fault-worker.js')], {
      env: { ...process.env, DATABASE_URL: this.db.url, REDIS_URL: this.redis.url, QUEUE_PREFIX: this.prefix, STORAGE_DIR: this.storageDir, CPU_CONCURRENCY: String(concurrency), LOG_LEVEL: 'fatal' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Connection errors are the point of some scenarios; show anything else.
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString().split('\n').filter((l) => l.trim() && !/ECONNREFUSED|errno|syscall|address:|port:|code:|^\s*}\s*$|Connection is closed/.test(l));
      if (text.length) process.stderr.write(`${text.join('\n')}\n`);
    });
    this.workers.push(child);
    return child;
  }

  /** Emulates the API's periodic reconciliation (PostgreSQL → Redis). */
  reconcileEvery(ms: number): void {
    this.reconciler = setInterval(() => void this.coordinator.reconcile().catch(() => undefined), ms);
  }

  async submit(doc: GraphDoc, count: number, price = 1): Promise<string[]> {
    const plan = compilePlan(doc, faultCatalog('', '').descriptors);
    const ids: string[] = [];
    const runs = Array.from({ length: count }, () => {
      const runId = randomUUID();
      ids.push(runId);
      return { runId, tenantId: this.tenantId, kind: 'test' as const, graphVersionId: this.versionId, plan, info: { runId, tenantId: this.tenantId }, seedInputs: {}, priceCredits: price };
    });
    for (let i = 0; i < runs.length; i += 100) await this.coordinator.startRuns(runs.slice(i, i + 100));
    return ids;
  }

  async waitTerminal(ids: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await this.pool.query(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`, [ids]);
      if (res.rows[0].n === ids.length) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const stuck = await this.pool.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY 1`, [ids]);
    throw new Error(`runs not terminal after ${timeoutMs} ms: ${JSON.stringify(stuck.rows)}`);
  }

  async figures(scenario: string, ids: string[], started: number, extra = ''): Promise<Figures> {
    const runs = await this.pool.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY 1`, [ids]);
    const ledger = await this.pool.query(`SELECT kind, count(*)::int AS n FROM credit_ledger WHERE run_id = ANY($1) GROUP BY 1`, [ids]);
    const by = (rows: Array<{ n: number }>, key: string, field: string) => (rows as Array<Record<string, unknown>>).find((r) => r[field] === key)?.n as number ?? 0;
    return {
      scenario,
      runs: ids.length,
      completed: by(runs.rows, 'completed', 'status'),
      failed: by(runs.rows, 'failed', 'status'),
      charges: by(ledger.rows, 'charge', 'kind'),
      refunds: by(ledger.rows, 'refund', 'kind'),
      extra,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  }

  async stop(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    for (const w of this.workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await this.coordinator.queues.close().catch(() => undefined);
    this.connection.disconnect();
    await this.redis.kill();
    await this.db.drop();
  }
}

export function chain(length: number, type = 'step', params: Record<string, unknown> = { ms: 50 }, last?: { type: string; params?: Record<string, unknown>; retry?: { attempts: number }; timeoutMs?: number }): GraphDoc {
  const nodes: GraphDoc['nodes'] = Array.from({ length }, (_, i) => ({ id: `n${i}`, type, params }));
  if (last) nodes.push({ id: `n${length}`, type: last.type, params: last.params ?? {}, ...(last.retry ? { retry: last.retry } : {}), ...(last.timeoutMs ? { timeoutMs: last.timeoutMs } : {}) });
  const edges = nodes.slice(1).map((n, i) => ({ source: `n${i}`, sourceHandle: 'out', target: n.id, targetHandle: 'in' }));
  return { nodes, edges };
}

export function printTable(rows: Figures[]): void {
  const head = ['scenario', 'runs', 'completed', 'failed', 'charges', 'refunds', 'seconds', 'notes'];
  const lines = rows.map((r) => [r.scenario, r.runs, r.completed, r.failed, r.charges, r.refunds, r.seconds, r.extra].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(['', fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt), ''].join('\n'));
}
