import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { workerProcessLaunch } from '@studioflow/runtime/config';
import { createRedis } from '@studioflow/runtime/bullmq';
import { benchStack, postShoot, until } from './batch-section';
import { deleteKeys } from './redis-keys';

/**
 * Throughput with 1 vs 2 CPU worker processes on the same PostgreSQL and Redis: the real API (one
 * process) and `server/dist/src/worker/main.js` workers at their default concurrency, white-studio
 * shoots of distinct 640×480 product photos (no cache hits), rounds alternating 1, 2, 1, 2… workers so
 * drift of the shared machine hits both alike. CPU per process from /proc/<pid>/stat; "rest" is the
 * machine's other busy time (PostgreSQL, Redis, this bench, anything else running).
 */
export interface WorkersRound {
  workers: number;
  shoots: number;
  seconds: number;
  perSecond: number;
  failed: number;
  /** CPU seconds during the round: the API, each worker, the rest of the machine. */
  cpu: { api: number; workers: number[]; rest: number; idle: number };
}

export interface WorkersSectionResult {
  cores: number;
  rounds: WorkersRound[];
}

const SELLER_KEY = 'sf_user_dev';
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

export async function runWorkersSection(o: { root: string; redisUrl: string; shoots: number; rounds: number; cores: number }): Promise<WorkersSectionResult> {
  const { db, storage, port, prefix, env: stack } = await benchStack('workers', o.redisUrl);
  const env = {
    ...stack,
    TEMPLATE_PREVIEWS: 'off',
    RATE_LIMIT_CREATE_PER_MINUTE: '1000000',
    RATE_LIMIT_READ_PER_MINUTE: '1000000',
  };
  const tuning = workerProcessLaunch();
  const children: ChildProcess[] = [];
  const start = (script: string, execArgv: string[] = [], extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...execArgv, join(o.root, script)], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}/api/v1`;
  const pool = db.pool(2);
  let seed = 5000;
  try {
    const api = start('server/dist/src/main.js');
    await until(async () => (await fetch(`${origin}/api/health/ready`).catch(() => null))?.status === 200, 120_000, 'the API to start');
    await pool.query(`UPDATE tenants SET credit_balance = 1000000 WHERE name = 'Demo studio'`);
    const photos = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await makeProductPhoto({ seed: seed++, width: 640, height: 480, kind: 'bottle' })).jpeg));

    const rounds: WorkersRound[] = [];
    for (let r = 0; r < o.rounds * 2; r++) {
      const count = r % 2 === 0 ? 1 : 2;
      const workers = Array.from({ length: count }, () => start('server/dist/src/worker/main.js', tuning.execArgv, tuning.env));
      const liveWorkers = async () => ((await (await fetch(`${origin}/api/health/workers`)).json()) as { details?: { workers?: { queues?: { cpu?: { workers: number } } } } }).details?.workers?.queues?.cpu?.workers ?? 0;
      await until(async () => (await liveWorkers()) >= count, 120_000, `${count} worker(s) to take jobs`);
      // Warm-up: each worker's first white-studio run loads and compiles what it needs.
      await runShoots(base, pool, await photos(2 * count));
      const images = await photos(o.shoots);
      const cpu0 = await cpuNow([api, ...workers]);
      const t0 = performance.now();
      const failed = await runShoots(base, pool, images);
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = await cpuNow([api, ...workers]);
      const per = cpu1.perProcess.map((ticks, i) => (ticks - cpu0.perProcess[i]) / TICKS);
      const busy = (cpu1.machineBusy - cpu0.machineBusy) / TICKS;
      const idle = (cpu1.machineIdle - cpu0.machineIdle) / TICKS;
      const ours = per.reduce((a, b) => a + b, 0);
      rounds.push({ workers: count, shoots: o.shoots, seconds, perSecond: o.shoots / seconds, failed, cpu: { api: per[0], workers: per.slice(1), rest: Math.max(0, busy - ours), idle } });
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => (w.exitCode !== null ? undefined : new Promise((res) => w.once('exit', res)))));
    }
    return { cores: o.cores, rounds };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    await pool.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await rm(storage, { recursive: true, force: true });
    const redis = createRedis({ url: o.redisUrl, prefix });
    await deleteKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
  }
}

/** Submits every photo (8 uploads in flight, as a client script would) and waits until all have ended; answers how many failed. */
async function runShoots(base: string, pool: { query: (text: string, params?: unknown[]) => Promise<{ rows: any[] }> }, images: Buffer[]): Promise<number> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < images.length) {
        const res = await postShoot(base, SELLER_KEY, images[next++], 'image/jpeg', 'white-studio');
        if (res.status !== 202) throw new Error(`shoot answered ${res.status}`);
        ids.push(res.body.id);
      }
    }),
  );
  const ended = async () =>
    (await pool.query(`SELECT count(*)::int AS ended, count(*) FILTER (WHERE status <> 'completed')::int AS failed FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`, [ids])).rows[0] as { ended: number; failed: number };
  await until(async () => (await ended()).ended === ids.length, 3_600_000, 'the shoots');
  return (await ended()).failed;
}

/** CPU ticks (user + system) of each process, and the machine's busy and idle ticks. */
async function cpuNow(children: ChildProcess[]): Promise<{ perProcess: number[]; machineBusy: number; machineIdle: number }> {
  const perProcess = await Promise.all(
    children.map(async (c) => {
      const stat = await readFile(`/proc/${c.pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at ") ": utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    }),
  );
  const [cpuLine] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpuLine.split(/\s+/).slice(1).map(Number);
  return { perProcess, machineBusy: user + nice + system + irq + softirq + steal, machineIdle: idle + iowait };
}

