/**
 * Push latency: node finished → the browser's socket, with N shoots open at once, one socket per
 * shoot, against the real API process (server/dist/src/main.js) and its Socket.IO gateway.
 *
 * The workers are emulated: the bench publishes each shoot's run notices through the runtime's own
 * NoticePublisher (what a worker does after its commit), on a schedule like a shoot's (run.started,
 * per node started + 2 progress + completed, run.completed: 18 events). That keeps the 2 cores for
 * the push path: the API and the sockets, which live in a process of their own (push-clients.ts).
 *
 * Two modes on the same API, shoots and schedule:
 * - per shoot: a seller's socket subscribed to its own shoot (what the shoot app does);
 * - tenant feed: the old behaviour as a baseline, every socket also in its tenant's room (emulated
 *   with a staff socket per shoot that subscribes to its run and to the tenant feed).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { makeProductPhoto, mulberry32 } from '@studioflow/nodes/testing';
import { NoticePublisher } from '@studioflow/runtime/bullmq';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import type { RunNotice } from '@studioflow/runtime/store';
import { deleteKeys } from './redis-keys';
import { epochMs, type ClientsReport, type OpenClients } from './push-clients';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

export interface PushOptions {
  redisUrl: string;
  root: string;
  shoots: number;
  /** The window in which every shoot runs, s. */
  seconds: number;
  seed: number;
}

export interface PushModeResult {
  mode: 'per shoot' | 'tenant feed';
  /** node finished → own socket received, ms, one per node.completed. */
  latencies: number[];
  /** node.completed events published for which a socket got nothing. */
  missing: number;
  /** Events of other shoots received per socket (mean). */
  foreignPerSocket: number;
  refused: number;
  /** The API process's user + system CPU over the window, s. */
  apiCpuS: number;
  /** The sockets' process's (all the browsers') CPU over the window, s: when near a core, it adds to the latencies. */
  clientsCpuS: number;
  windowS: number;
}

export interface PushResult {
  shoots: number;
  eventsPerShoot: number;
  modes: PushModeResult[];
}

const NODES = ['input', 'segment', 'composite', 'deliver'];
const CLK_TCK = 100;

export async function runPushSection(o: PushOptions): Promise<PushResult> {
  let db: ScratchDatabase | undefined;
  let api: ChildProcess | undefined;
  const prefix = hashTaggedPrefix(`sfbenchpush${randomBytes(3).toString('hex')}`);
  const storage = await mkdtemp(join(tmpdir(), 'sf-bench-push-'));
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  try {
    db = await createScratchDatabase('benchpush');
    const port = await freePort();
    api = spawn(process.execPath, [join(o.root, 'server/dist/src/main.js')], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: db.url, QUEUE_PREFIX: prefix, STORAGE_DIR: storage, TEMPLATE_PREVIEWS: 'off' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await untilUp(baseUrl, api);
    const runIds = await submitShoots(baseUrl, o.shoots);
    const pool = db.pool(1);
    const { rows } = await pool.query(`SELECT id, tenant_id FROM runs WHERE id = ANY($1::uuid[])`, [runIds]);
    const tenantOf = new Map<string, string>(rows.map((r) => [r.id, r.tenant_id]));
    const publisher = new NoticePublisher(redis, prefix);
    const schedule = shootSchedule(runIds, tenantOf, o.seconds * 1000, o.seed);
    const modes: PushModeResult[] = [];
    for (const mode of ['per shoot', 'tenant feed'] as const) {
      modes.push(await measureMode(mode, baseUrl, api.pid!, runIds, schedule, publisher));
    }
    return { shoots: o.shoots, eventsPerShoot: schedule.length / o.shoots, modes };
  } finally {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((r) => api!.once('exit', r));
    }
    await deleteKeys(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await db?.drop().catch(() => undefined);
    await rm(storage, { recursive: true, force: true });
  }
}

interface Scheduled {
  atMs: number;
  notice: RunNotice;
}

async function measureMode(
  mode: PushModeResult['mode'],
  baseUrl: string,
  apiPid: number,
  runIds: string[],
  schedule: Scheduled[],
  publisher: NoticePublisher,
): Promise<PushModeResult> {
  const clients = fork(join(__dirname, 'push-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const answer = <T>(kind: string) =>
    new Promise<T>((resolve, reject) => {
      clients.on('message', (m: { kind: string; message?: string }) => (m.kind === kind ? resolve(m as T) : m.kind === 'error' ? reject(new Error(m.message)) : undefined));
      clients.once('exit', (code) => reject(new Error(`push clients exited with ${code}`)));
    });
  const ready = answer<{ kind: 'ready' }>('ready');
  const token = mode === 'per shoot' ? 'sf_user_dev' : 'sf_staff_dev';
  clients.send({ kind: 'open', baseUrl, sockets: runIds.map((runId) => ({ runId, token, tenantFeed: mode === 'tenant feed' })) } satisfies OpenClients);
  await ready;
  await sleep(500);

  const published = new Map<string, number>();
  const cpu0 = await cpuTicks(apiPid);
  const clientsCpu0 = await cpuTicks(clients.pid!);
  const t0 = epochMs();
  for (const s of schedule) {
    const wait = t0 + s.atMs - epochMs();
    if (wait > 1) await sleep(wait);
    if (s.notice.type === 'node.completed') published.set(`${s.notice.runId}|${s.notice.nodeId}`, epochMs());
    publisher.publish([s.notice]);
  }
  await sleep(2000); // the last events reach the sockets
  const windowS = (epochMs() - t0) / 1000;
  const apiCpuS = ((await cpuTicks(apiPid)) - cpu0) / CLK_TCK;
  const clientsCpuS = ((await cpuTicks(clients.pid!)) - clientsCpu0) / CLK_TCK;

  const report = answer<ClientsReport>('report');
  clients.send({ kind: 'report' });
  const r = await report;
  const latencies: number[] = [];
  const seen = new Set<string>();
  for (const [runId, nodeId, at] of r.receipts) {
    const key = `${runId}|${nodeId}`;
    const sent = published.get(key);
    if (sent !== undefined && !seen.has(key)) latencies.push(at - sent);
    seen.add(key);
  }
  return { mode, latencies, missing: published.size - seen.size, foreignPerSocket: r.foreign / runIds.length, refused: r.refused, apiCpuS, clientsCpuS, windowS };
}

/** Every shoot's notices, by time: each shoot runs for 40–100 % of half the window, starting in its first half. */
function shootSchedule(runIds: string[], tenantOf: Map<string, string>, windowMs: number, seed: number): Scheduled[] {
  const random = mulberry32(seed);
  const out: Scheduled[] = [];
  const ref = (port: string): ArtifactRef => ({ hash: randomBytes(32).toString('hex'), mime: port === 'webp' ? 'image/webp' : 'image/jpeg', bytes: 100_000, width: 2048, height: 2048 });
  for (const runId of runIds) {
    const tenantId = tenantOf.get(runId)!;
    const start = random() * windowMs * 0.5;
    const length = (0.4 + 0.6 * random()) * windowMs * 0.5;
    const step = length / NODES.length;
    out.push({ atMs: start, notice: { type: 'run.started', runId, tenantId } });
    NODES.forEach((nodeId, k) => {
      const at = start + k * step;
      out.push({ atMs: at, notice: { type: 'node.started', runId, tenantId, nodeId, attempt: 1 } });
      for (const f of [1 / 3, 2 / 3]) out.push({ atMs: at + f * step, notice: { type: 'node.progress', runId, tenantId, nodeId, progress: f } });
      const outputs: Record<string, ArtifactRef> = nodeId === 'deliver' ? { jpeg: ref('jpeg'), webp: ref('webp'), thumbnail: ref('thumbnail') } : { image: ref('image') };
      out.push({ atMs: at + step * 0.98, notice: { type: 'node.completed', runId, tenantId, nodeId, state: 'done', outputs, durationMs: Math.round(step), costUsd: 0 } });
    });
    const delivered = { jpeg: ref('jpeg'), webp: ref('webp'), thumbnail: ref('thumbnail') };
    out.push({ atMs: start + length, notice: { type: 'run.completed', runId, tenantId, outputs: { deliver: delivered }, costUsd: 0 } });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** N shoots of white-studio by the dev seller; no worker runs, so they stay open (queued) for the sockets. */
async function submitShoots(baseUrl: string, n: number): Promise<string[]> {
  const photo = await makeProductPhoto({ seed: 3, width: 320, height: 240, kind: 'bottle' });
  const ids: string[] = [];
  const submitOne = async () => {
    const form = new FormData();
    form.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
    form.set('templateId', 'white-studio');
    const res = await fetch(`${baseUrl}/api/v1/shoots`, { method: 'POST', headers: { Authorization: 'Bearer sf_user_dev' }, body: form });
    if (res.status !== 202) throw new Error(`shoot not accepted: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  };
  for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, submitOne));
  return ids;
}

async function untilUp(baseUrl: string, api: ChildProcess): Promise<void> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    if (api.exitCode !== null) throw new Error(`the API exited with ${api.exitCode}`);
    const ok = await fetch(`${baseUrl}/api/node-types`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error('the API did not come up within 120 s');
}

/** user + system CPU of a process so far, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
