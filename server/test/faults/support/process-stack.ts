import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { hashTaggedPrefix, workerProcessLaunch } from '@studioflow/runtime/config';
import { freePort, PrivatePostgres, PrivateRedis } from './private-services';

const SERVER_DIST = resolve(__dirname, '../../../src');

export interface Exit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The product as `npm start` runs it, on servers of our own: the real API process and a real
 * worker process, against a private PostgreSQL and a private Redis that a scenario may restart.
 * Any process exit before stop() is recorded as a crash.
 */
export class ProcessStack {
  readonly exits: Exit[] = [];
  /** Answers other than 202 that the client retried (503 with Retry-After, or a dropped connection). */
  readonly retried = { unavailable: 0, network: 0 };
  /** From the processes' logs: transactions repeated after a lost connection, and completion batches retried. */
  transactionRetries = 0;
  completionRetries = 0;
  private readonly children: Array<{ name: string; child: ChildProcess }> = [];
  private stopping = false;

  private constructor(
    readonly pg: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly pool: Pool,
    readonly baseUrl: string,
    private readonly env: Record<string, string>,
    private readonly storage: string,
  ) {}

  static async start(label: string): Promise<ProcessStack> {
    const [pg, redis, port] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start(), freePort()]);
    const storage = await mkdtemp(join(tmpdir(), `sf-${label}-`));
    const env = {
      PORT: String(port),
      DATABASE_URL: pg.url('studioflow'),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: hashTaggedPrefix(`sf${label}-${randomBytes(3).toString('hex')}`),
      STORAGE_DIR: storage,
      // Redis keeps nothing on disk: a restart is repaired by reconciliation, so make it frequent.
      RECONCILE_EVERY_MS: '1000',
      LOG_LEVEL: 'warn',
    };
    const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
    pool.on('error', () => undefined); // the scenarios drop these connections on purpose
    const s = new ProcessStack(pg, redis, pool, `http://127.0.0.1:${port}`, env, storage);
    s.spawn('api', [join(SERVER_DIST, 'main.js')], {});
    await s.waitHealthy(120_000);
    const tuning = workerProcessLaunch();
    s.spawn('worker', [...tuning.execArgv, join(SERVER_DIST, 'worker/main.js')], { ...tuning.env, CPU_CONCURRENCY: '2' });
    return s;
  }

  private spawn(name: string, args: string[], extra: Record<string, string>): void {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...this.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.transactionRetries += text.split('retrying the transaction').length - 1;
      this.completionRetries += text.split('committing completions failed').length - 1;
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exits.push({ name, code, signal, stderr });
    });
    this.children.push({ name, child });
  }

  private async waitHealthy(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.exits.length) throw new Error(`the API exited while starting: ${this.exits[0].stderr}`);
      try {
        if ((await fetch(`${this.baseUrl}/api/health`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the API did not become healthy');
  }

  /**
   * POST /api/shoots as a well-behaved client: a 503 is retried after its Retry-After, a dropped
   * connection after a pause, always with the same Idempotency-Key, so no retry can charge twice.
   */
  async submitShoot(photo: Buffer, key: string, fields: Record<string, string>): Promise<string> {
    const userKey = 'sf_user_dev';
    for (let attempt = 1; ; attempt++) {
      const f = new FormData();
      f.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
      for (const [k, v] of Object.entries(fields)) f.set(k, v);
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}/api/shoots`, { method: 'POST', body: f, headers: { Authorization: `Bearer ${userKey}`, 'Idempotency-Key': key } });
      } catch (err) {
        if (this.exits.length) throw new Error(`the request failed and a process had exited: ${JSON.stringify(this.exits)}`);
        if (attempt > 60) throw err;
        this.retried.network++;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const body = await res.text();
      // 202: started now; 200: this key's earlier shoot, started by an attempt whose answer was lost.
      if (res.status === 202 || res.status === 200) return JSON.parse(body).runId;
      if (res.status === 503 && attempt <= 60) {
        this.retried.unavailable++;
        const after = Number(res.headers.get('retry-after'));
        if (!(after > 0)) throw new Error(`503 without Retry-After: ${body}`);
        await new Promise((r) => setTimeout(r, after * 1000));
        continue;
      }
      throw new Error(`POST /api/shoots answered ${res.status}: ${body}`);
    }
  }

  /** A query that waits out the outages the scenario causes. */
  async query<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query(text, params)).rows;
      } catch (err) {
        if (attempt > 100) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /** Terminates every connection to the product's database (what an idle-kill or failover does). */
  async terminateBackends(): Promise<number> {
    const rows = await this.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = 'studioflow' AND pid <> pg_backend_pid()`,
    );
    return rows[0].n;
  }

  async waitTerminal(ids: string[], ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`, [ids]);
      if (row.n === ids.length) return;
      if (this.exits.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const stuck = await this.query(`SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1) GROUP BY 1`, [ids]);
    throw new Error(`runs not terminal: ${JSON.stringify(stuck)}; exits: ${JSON.stringify(this.exits)}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const alive = this.children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
    for (const { child } of alive) child.kill('SIGTERM');
    await Promise.all(alive.map(({ child }) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))));
    await this.pool.end().catch(() => undefined);
    await this.redis.kill();
    this.pg.stop();
    await rm(this.storage, { recursive: true, force: true });
  }
}
