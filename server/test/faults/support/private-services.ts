import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * PostgreSQL and Redis servers of our own on free loopback ports, so a scenario can restart them
 * without disturbing anyone else using the shared servers.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const open = await new Promise<boolean>((r) => {
      const s = new Socket();
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => (s.destroy(), r(false)));
      s.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port} after ${ms} ms`);
}

const PG_BIN = process.env.STUDIOFLOW_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL cluster (initdb refuses root, so it runs as the postgres user when we are root). */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'sf-pg-'));
    const pg = new PrivatePostgres(await freePort(), dir);
    if (process.getuid?.() === 0) chownSync(dir, Number(pg.sh('id', ['-u', 'postgres'], false).trim()), Number(pg.sh('id', ['-g', 'postgres'], false).trim()));
    pg.sh(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '-N']);
    pg.ctl('start');
    return pg;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** pg_ctl restart -m fast: every backend is terminated (57P01), then connections are refused until it is up. */
  restart(): void {
    this.ctl('restart', ['-m', 'fast']);
  }

  stop(): void {
    try {
      this.ctl('stop', ['-m', 'immediate']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private ctl(action: string, extra: string[] = []): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    this.sh(join(PG_BIN, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-o', opts, '-l', join(this.dir, 'log'), '-w', ...extra, action]);
  }

  private sh(cmd: string, args: string[], asPostgres = true): string {
    const [file, argv] = asPostgres && process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

/** A redis-server without persistence: a SIGKILL loses everything, as a crash of such a Redis does. */
export class PrivateRedis {
  private process?: ChildProcess;
  private constructor(readonly port: number) {}

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
    await waitForPort(this.port, 10_000);
  }

  async kill(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}
