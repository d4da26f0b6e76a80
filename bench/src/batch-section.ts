import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { createScratchDatabase, type ScratchDatabase } from '@studioflow/migrations/testing';
import { makeProductPhoto, makeZip } from '@studioflow/nodes/testing';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

/**
 * Batch catalogs through the real API and one worker process (spawned from server/dist): tenant A's
 * N images (64×48 on the tiny template, or 320×240 product photos on white-studio) submitted one by
 * one vs as one batch (throughput), and tenant B's single white-studio
 * shoot (a 640×480 photo) sampled while each runs: submit → completed, and how long its upload took to
 * be accepted, beside the same shoot on an idle system.
 */
export interface BatchSectionResult {
  items: number;
  template: string;
  idle: Probe[];
  oneByOne: Phase;
  batch: Phase & { acceptedMs: number };
}

export interface Phase {
  seconds: number;
  perSecond: number;
  /** A's items that failed (none expected: a failure here means the numbers are not comparable). */
  failed: number;
  /** B's shoots while A's work ran. */
  probes: Probe[];
}

export interface Probe {
  acceptedMs: number;
  doneMs: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const KEY_A = 'sf_user_dev';
const KEY_B = 'sf_bench_rival_seller';
const STAFF = 'sf_staff_dev';

export async function runBatchSection(o: { root: string; redisUrl: string; items: number; template: 'tiny' | 'white-studio' }): Promise<BatchSectionResult> {
  const { db, storage, port, env: stack } = await benchStack('batch', o.redisUrl);
  const env = {
    ...stack,
  };
  const children: ChildProcess[] = [];
  const start = (script: string) => {
    const child = spawn(process.execPath, [join(o.root, script)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  };
  const base = `http://127.0.0.1:${port}/api/v1`;
  const pool = db.pool(2);
  try {
    start('server/dist/src/main.js');
    await until(async () => (await fetch(`${base}/templates`, { headers: { Authorization: `Bearer ${STAFF}` } }).catch(() => null))?.ok === true, 120_000, 'the API to start');
    start('server/dist/src/worker/main.js');
    const [{ id: tenantA }] = (await pool.query(`SELECT id FROM tenants WHERE name = 'Demo studio'`)).rows;
    await pool.query(`UPDATE tenants SET credit_balance = 1000000 WHERE id = $1`, [tenantA]);
    const [{ id: tenantB }] = (await pool.query(`INSERT INTO tenants (name, credit_balance) VALUES ('Bench rival', 100000) RETURNING id`)).rows;
    const [{ id: userB }] = (await pool.query(`INSERT INTO users (tenant_id, email, role) VALUES ($1, 'rival@bench.test', 'end_user') RETURNING id`, [tenantB])).rows;
    await pool.query(`INSERT INTO api_keys (user_id, tenant_id, key_hash) VALUES ($1, $2, $3)`, [userB, tenantB, createHash('sha256').update(KEY_B).digest('hex')]);
    const templateA = o.template === 'tiny' ? await publishTiny(base) : 'white-studio';

    // The tiny template takes any image; white-studio needs a product to cut out.
    const images = await Promise.all(
      Array.from({ length: o.items }, async (_, k) => ({
        name: `catalog/item-${String(k).padStart(4, '0')}.png`,
        data:
          o.template === 'tiny'
            ? await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: k % 256, g: (Math.floor(k / 256) * 37) % 256, b: 200 } } }).png().toBuffer()
            : await sharp((await makeProductPhoto({ seed: 1000 + k, width: 320, height: 240 })).jpeg).png().toBuffer(),
      })),
    );
    const photoB = (await makeProductPhoto({ seed: 77, width: 640, height: 480, kind: 'bottle' })).jpeg;
    const probe = () => singleShoot(base, KEY_B, photoB, 'image/jpeg', 'white-studio', 50);

    await probe(); // warm-up: the worker's first white-studio run loads and compiles what it needs
    const idle: Probe[] = [];
    for (let i = 0; i < 5; i++) idle.push(await probe());

    // A's images one by one: 8 uploads in flight at a time, as a client script would send them.
    const endedOfA = async () =>
      (await pool.query(`SELECT count(*)::int AS ended, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM runs WHERE tenant_id = $1 AND status IN ('completed', 'failed', 'cancelled')`, [tenantA])).rows[0] as { ended: number; failed: number };
    const before1 = (await endedOfA()).ended;
    const oneByOneDone = async () => (await endedOfA()).ended - before1 >= o.items;
    const t1 = performance.now();
    let next = 0;
    const senders = Array.from({ length: 8 }, async () => {
      while (next < images.length) {
        const img = images[next++];
        const res = await postShoot(base, KEY_A, img.data, 'image/png', templateA);
        if (res.status !== 202) throw new Error(`one-by-one shoot answered ${res.status}`);
      }
    });
    const oneByOneProbes = sampleWhile(probe, oneByOneDone);
    await Promise.all(senders);
    await until(oneByOneDone, 3_600_000, 'the one-by-one shoots');
    const s1 = (performance.now() - t1) / 1000;
    const failed1 = (await endedOfA()).failed;
    const probes1 = await oneByOneProbes;

    // The same images as one batch.
    const form = new FormData();
    form.set('archive', new Blob([new Uint8Array(makeZip(images))], { type: 'application/zip' }), 'catalog.zip');
    form.set('templateId', templateA);
    const t2 = performance.now();
    const created = await fetch(`${base}/batches`, { method: 'POST', headers: { Authorization: `Bearer ${KEY_A}` }, body: form });
    const acceptedMs = performance.now() - t2;
    if (created.status !== 201) throw new Error(`batch answered ${created.status}: ${await created.text()}`);
    const { id: batchId } = (await created.json()) as { id: string };
    let failed2 = 0;
    const batchDone = async () => {
      const b = (await (await fetch(`${base}/batches/${batchId}`, { headers: { Authorization: `Bearer ${KEY_A}` } })).json()) as {
        progress: { failed: number; waiting: number; running: number };
      };
      failed2 = b.progress.failed;
      return b.progress.waiting + b.progress.running === 0;
    };
    const batchProbes = sampleWhile(probe, batchDone);
    await until(batchDone, 3_600_000, 'the batch');
    const s2 = (performance.now() - t2) / 1000;
    return {
      items: o.items,
      template: templateA,
      idle,
      oneByOne: { seconds: s1, perSecond: o.items / s1, failed: failed1, probes: await probes1 },
      batch: { seconds: s2, perSecond: o.items / s2, failed: failed2, probes: await batchProbes, acceptedMs },
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    await pool.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await rm(storage, { recursive: true, force: true });
  }
}

/** B's shoots one after another (a pause between) until `finished` says A's work is done. */
async function sampleWhile(probe: () => Promise<Probe>, finished: () => Promise<boolean>): Promise<Probe[]> {
  const out: Probe[] = [];
  await sleep(1000); // let A's work fill the queues first
  while (!(await finished())) {
    out.push(await probe());
    await sleep(1000);
  }
  return out;
}

async function singleShoot(base: string, key: string, image: Buffer, mime: string, template: string, pollMs: number): Promise<Probe> {
  const t0 = performance.now();
  const res = await postShoot(base, key, image, mime, template);
  const acceptedMs = performance.now() - t0;
  if (res.status !== 202) throw new Error(`single shoot answered ${res.status}: ${JSON.stringify(res.body)}`);
  for (;;) {
    const got = (await (await fetch(`${base}/shoots/${res.body.id}`, { headers: { Authorization: `Bearer ${key}` } })).json()) as { status: string };
    if (TERMINAL.has(got.status)) {
      if (got.status !== 'completed') throw new Error(`B's shoot ${got.status}`);
      return { acceptedMs, doneMs: performance.now() - t0 };
    }
    await sleep(pollMs);
  }
}

export async function postShoot(base: string, key: string, image: Buffer, mime: string, template: string): Promise<{ status: number; body: { id: string } }> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(image)], { type: mime }), 'photo');
  form.set('templateId', template);
  const res = await fetch(`${base}/shoots`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: form });
  return { status: res.status, body: (await res.json()) as { id: string } };
}

/** Decode at 256 px and deliver: a catalog item as cheap as a real run can be, so the bench measures the plumbing. */
async function publishTiny(base: string): Promise<string> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${STAFF}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const graph = await call('/graphs', {
    name: 'bench tiny',
    draft: {
      nodes: [
        { id: 'input', type: 'input-image', params: { maxSide: 256 } },
        { id: 'deliver', type: 'deliver', params: { thumbnailSize: 64 } },
      ],
      edges: [{ id: 'e1', source: 'input', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' }],
    },
  });
  const version = await call(`/graphs/${graph.id}/versions`, { message: 'v1' });
  await call('/templates', { graphVersionId: version.id, slug: 'bench-tiny', name: 'Bench tiny', priceCredits: 1, visibility: 'public', exposedParams: [] });
  return 'bench-tiny';
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * A scratch database, storage folder, port and the environment an API and its workers share for one
 * bench section, on its own queue prefix.
 */
export async function benchStack(label: string, redisUrl: string): Promise<{ db: ScratchDatabase; storage: string; port: number; prefix: string; env: NodeJS.ProcessEnv }> {
  const db = await createScratchDatabase(`${label}bench`);
  const storage = await mkdtemp(join(tmpdir(), `sf-${label}bench-`));
  const port = await freePort();
  const prefix = hashTaggedPrefix(`sfbench-${label}-${randomBytes(3).toString('hex')}`);
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    STORAGE_DIR: storage,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  return { db, storage, port, prefix, env };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
