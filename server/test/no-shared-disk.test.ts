import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import sharp from 'sharp';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { openArtifactStore, type ArtifactStore } from '@studioflow/runtime/artifacts';
import { workerProcessLaunch } from '@studioflow/runtime/config';
import { startTestS3Server, type TestS3Server } from '@studioflow/runtime/testing';
import { darkProductScene, makeZip, thresholdAt, tinySegmentationModel, zipNames } from '@studioflow/nodes/testing';

/**
 * Studioflow across machines that share no disk: the API, two CPU workers and the GPU runtime are
 * separate processes, each with a temp folder of its own (its STORAGE_DIR, its copy of the model),
 * and they meet only in PostgreSQL, Redis and one S3-protocol server (s3rver) started here.
 */
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const USER_KEY = 'sf_user_dev';
const STAFF_KEY = 'sf_staff_dev';

interface Proc {
  name: string;
  child: ChildProcess;
  dir: string;
  stderr: string;
}

let s3: TestS3Server;
let db: ScratchDatabase;
let pool: Pool;
let store: ArtifactStore;
const procs: Proc[] = [];
const exits: string[] = [];
let port = 0;
let base = '';
const prefix = `sftest-noshare-${randomBytes(4).toString('hex')}`;
const scratch: string[] = [];

async function start(name: string, script: string, extra: Record<string, string> = {}, execArgv: string[] = []): Promise<Proc> {
  const dir = await mkdtemp(join(tmpdir(), `sf-noshare-${name}-`));
  scratch.push(dir);
  // The model travels as configuration: every process has its own copy of the file.
  const { k, b } = thresholdAt(150, 0.12, IMAGENET.mean, IMAGENET.std);
  const model = join(dir, 'tiny.onnx');
  await writeFile(model, tinySegmentationModel({ size: 64, k, b, sigmoid: true }));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...s3.env,
    PORT: String(port),
    DATABASE_URL: db.url,
    QUEUE_PREFIX: prefix,
    STORAGE_URL: s3.storageUrl('artifacts/'),
    STORAGE_DIR: join(dir, 'storage'),
    STUDIOFLOW_MODELS: JSON.stringify({
      tiny: { file: model, inputName: 'pixel_values', outputName: 'alphas', inputSize: 64, ...IMAGENET, output: 'probability', normalise: 'none', licence: 'test', commercialUse: true },
    }),
    STUDIOFLOW_DEFAULT_MODEL: 'tiny',
    TEMPLATE_PREVIEWS: 'off',
    // A killed worker's active job is taken over after a short lock, not the default 30 s.
    LOCK_DURATION_MS: '3000',
    STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
  const child = spawn(process.execPath, [...execArgv, script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const proc: Proc = { name, child, dir, stderr: '' };
  child.stderr!.on('data', (chunk: Buffer) => {
    proc.stderr = (proc.stderr + chunk.toString()).slice(-6000);
  });
  child.once('exit', (code, signal) => exits.push(`${name} exited (${code ?? signal}): ${proc.stderr.slice(-1500)}`));
  procs.push(proc);
  return proc;
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}; exits: ${exits.join(' | ')}`);
}

async function submit(photo: Buffer): Promise<string> {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  f.set('templateId', 'white-studio');
  const res = await fetch(`${base}/api/shoots`, { method: 'POST', body: f, headers: { Authorization: `Bearer ${USER_KEY}` } });
  const body = await res.text();
  assert.equal(res.status, 202, body);
  return JSON.parse(body).runId;
}

async function shoot(id: string, key = USER_KEY): Promise<any> {
  return (await fetch(`${base}/api/shoots/${id}`, { headers: { Authorization: `Bearer ${key}` } })).json();
}

async function finished(ids: string[], ms = 240_000): Promise<Array<{ id: string; status: string; error: string | null }>> {
  let rows: Array<{ id: string; status: string; error: string | null }> = [];
  await waitFor(
    async () => {
      rows = (await pool.query(`SELECT id, status, error FROM runs WHERE id = ANY($1) AND status IN ('completed', 'failed', 'cancelled')`, [ids])).rows;
      return rows.length === ids.length;
    },
    ms,
    `runs did not finish (${rows.length}/${ids.length})`,
  );
  return rows;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const photo = async (seed: number) => (await darkProductScene(seed, 640, 480)).jpeg;

before(async () => {
  s3 = await startTestS3Server();
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  db = await createScratchDatabase('noshare');
  pool = db.pool(3);
  const own = await mkdtemp(join(tmpdir(), 'sf-noshare-test-'));
  scratch.push(own);
  store = openArtifactStore({ storageUrl: s3.storageUrl('artifacts/'), storageDir: own, storageCacheBytes: 0 });
  await start('api', resolve(__dirname, '../src/main.js'));
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, 120_000, 'the API did not become healthy');
  const tuning = workerProcessLaunch();
  for (const name of ['worker-a', 'worker-b']) {
    await start(name, resolve(__dirname, '../src/worker/main.js'), { ...tuning.env, WORKER_RESOURCES: 'cpu,cloud', CPU_CONCURRENCY: '2' }, tuning.execArgv);
  }
  await start('gpu-runtime', resolve(__dirname, '../../../gpu-runtime/dist/src/main.js'), { STUDIOFLOW_GPU_MODELS: 'tiny' });
});

after(async () => {
  const alive = procs.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  for (const { child } of alive) child.kill('SIGTERM');
  await Promise.all(alive.map(({ child }) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))));
  await pool?.end();
  await db?.drop();
  await s3?.close();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

test('shoots complete across processes that share no disk, and download through a pre-signed GET', async () => {
  const ids = [await submit(await photo(1)), await submit(await photo(2))];
  for (const row of await finished(ids)) assert.equal(row.status, 'completed', row.error ?? '');
  const done = await shoot(ids[0]!);
  const segment = done.nodes.find((n: { nodeId: string }) => n.nodeId === 'segment');
  assert.equal(segment.outputs.cutout.meta.model, 'tiny', 'the cut-out came from the GPU runtime, the composite from a CPU worker');

  // The one link the API gives is its own signed route; behind it, the object store serves the bytes.
  const signed = done.results.jpeg as string;
  assert.match(signed, /^\/api\/artifacts\/[a-f0-9]{64}\?t=/);
  const redirect = await fetch(`${base}${signed}`, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const location = redirect.headers.get('location')!;
  assert.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/artifacts/`), location);
  assert.match(location, /X-Amz-Signature=[0-9a-f]{64}/);
  const image = await fetch(`${base}${signed}`);
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/jpeg');
  const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal((await fetch(`${base}${signed.replace(/sig=[\w-]{4}/, 'sig=AAAA')}`, { redirect: 'manual' })).status, 404, 'a forged link gets no redirect');
  const saved = await fetch(`${base}${signed}&download=shot.jpg`);
  assert.equal(saved.status, 200);
  assert.equal(saved.headers.get('content-disposition'), 'attachment; filename="shot.jpg"', 'a download link keeps its name through the redirect');
  await saved.arrayBuffer();

  // Every artifact the runs recorded is in the bucket, and no process keeps artifact files outside its cache.
  const hashes = (await pool.query(`SELECT DISTINCT hash FROM artifacts WHERE run_id = ANY($1)`, [ids])).rows.map((r) => r.hash.trim() as string);
  assert.ok(hashes.length >= 4, `${hashes.length} artifacts`);
  for (const hash of hashes) assert.ok(await store.has(hash), `artifact ${hash} is in the object store`);
  const cached: Record<string, number> = {};
  for (const p of procs) {
    const top = await readdir(join(p.dir, 'storage')).catch(() => []);
    assert.ok(top.every((name) => /^cache-\d+$/.test(name)), `${p.name} keeps only its cache: ${top.join(', ')}`);
    cached[p.name] = (await readdir(join(p.dir, 'storage', `cache-${p.child.pid}`)).catch(() => [])).filter((f) => /^[0-9a-f]{64}$/.test(f)).length;
  }
  assert.ok(cached['gpu-runtime']! > 0, `the GPU runtime read the uploads through its own cache (${JSON.stringify(cached)})`);
  assert.ok(cached['worker-a']! + cached['worker-b']! > 0, `the CPU workers kept local copies (${JSON.stringify(cached)})`);
});

test('the execution cache and a replay reuse artifacts another process wrote', async () => {
  const picture = await photo(3);
  const first = await submit(picture);
  await finished([first]);
  const second = await submit(picture);
  const [row] = await finished([second]);
  assert.equal(row!.status, 'completed', row!.error ?? '');
  const again = await shoot(second);
  const state = Object.fromEntries(again.nodes.map((n: { nodeId: string; state: string }) => [n.nodeId, n.state]));
  assert.equal(state.segment, 'cached', JSON.stringify(state));
  assert.equal(state.composite, 'cached', JSON.stringify(state));
  const image = await fetch(`${base}${again.results.jpeg}`);
  assert.equal(image.status, 200);

  const replay = await fetch(`${base}/api/runs/${first}/replay`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${STAFF_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ fromNodeId: 'composite', params: { background: 'solid', color: '#dde7f0' } }),
  });
  const body = (await replay.json()) as { runId: string };
  assert.equal(replay.status, 202, JSON.stringify(body));
  const [replayed] = await finished([body.runId]);
  assert.equal(replayed!.status, 'completed', replayed!.error ?? '');
  const view = await shoot(body.runId, STAFF_KEY);
  const nodes = Object.fromEntries(view.nodes.map((n: { nodeId: string }) => [n.nodeId, n]));
  assert.equal(nodes.segment.state, 'cached');
  assert.equal(nodes.composite.state, 'done', 'composite ran again on a CPU worker, reading the GPU runtime’s cut-out from the bucket');
  const jpeg = Buffer.from(await (await fetch(`${base}${view.results.jpeg}`)).arrayBuffer());
  // stats() reads its input, not the result of extract: take the corner out first.
  const corner = await sharp(await sharp(jpeg).extract({ left: 0, top: 0, width: 16, height: 16 }).toBuffer()).stats();
  const [r, , b] = corner.channels.map((c) => c.mean);
  assert.ok(Math.abs(r! - 0xdd) < 12 && Math.abs(b! - 0xf0) < 12, `the replay's background is the new colour (r ${r}, b ${b})`);
});

test('kill -9 of a worker mid-batch: every item completes, each charged exactly once, and results.zip streams from the bucket', async () => {
  const balance = async () => (await pool.query(`SELECT credit_balance FROM tenants WHERE name = 'Demo studio'`)).rows[0].credit_balance as number;
  const before = await balance();
  const N = 12;
  const entries = [];
  // Photos the tiny test model cuts out well enough for segment's trust check (208 and 218 it does not, and a
  // refused cut-out is not what this test is about): checked with `studioflow run` and the same model.
  const seeds = [201, 202, 203, 204, 205, 206, 207, 209, 210, 211, 212, 213];
  for (const [k, seed] of seeds.entries()) entries.push({ name: `shelf/p${String(k + 1).padStart(2, '0')}.jpg`, data: await photo(seed) });
  const form = new FormData();
  form.set('archive', new Blob([new Uint8Array(makeZip(entries))], { type: 'application/zip' }), 'catalog.zip');
  form.set('templateId', 'white-studio');
  const created = await fetch(`${base}/api/v1/batches`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${USER_KEY}` } });
  const batch = (await created.json()) as { id: string };
  assert.equal(created.status, 201, JSON.stringify(batch));
  const progress = async () => ((await (await fetch(`${base}/api/v1/batches/${batch.id}`, { headers: { Authorization: `Bearer ${USER_KEY}` } })).json()) as any);

  // Killed once the batch is flowing: what it held (active jobs, its cache) must be taken over.
  await waitFor(async () => (await progress()).progress.completed > 0, 120_000, 'no item of the batch finished');
  const victim = procs.find((p) => p.name === 'worker-a')!;
  victim.child.kill('SIGKILL');
  await new Promise((r) => victim.child.once('exit', r));
  const left = N - (await progress()).progress.completed;
  assert.ok(left > 0, 'the worker died mid-batch');

  let done: any;
  await waitFor(async () => ((done = await progress()), done.status === 'done'), 300_000, 'the batch did not finish');
  assert.deepEqual(done.progress, { total: N, waiting: 0, running: 0, completed: N, failed: 0, cancelled: 0 }, JSON.stringify(done.items.filter((i: { status: string }) => i.status !== 'completed')));
  const ids = done.items.map((i: { shootId: string }) => i.shootId);
  const ledger = (await pool.query(`SELECT kind, amount FROM credit_ledger WHERE run_id = ANY($1)`, [ids])).rows;
  assert.deepEqual(ledger.map((e) => e.kind), ids.map(() => 'charge'), 'one charge per item, no refund');
  const charged = ledger.reduce((sum, e) => sum + Math.abs(Number(e.amount)), 0);
  assert.equal(charged, N, 'one credit per item');
  assert.equal(await balance(), before - charged, 'the balance moved by exactly the charges');

  const zip = await fetch(`${base}/api/v1/batches/${batch.id}/results.zip`, { headers: { Authorization: `Bearer ${USER_KEY}` } });
  assert.equal(zip.status, 200);
  const names = zipNames(Buffer.from(await zip.arrayBuffer()));
  assert.deepEqual([...names].sort(), entries.flatMap((e) => [e.name, e.name.replace('.jpg', '.webp')]).sort(), 'every delivered image');
  assert.deepEqual(exits.filter((e) => !e.startsWith('worker-a')), [], 'no other process exited');
  const retried = (await pool.query(`SELECT count(*)::int AS n FROM node_runs WHERE run_id = ANY($1) AND attempts > 1`, [ids])).rows[0].n;
  console.log(`kill -9 mid-batch: ${left} of ${N} items unfinished at the kill, ${retried} node(s) ran a second attempt`);
});
