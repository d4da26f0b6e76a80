import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import sharp from 'sharp';
import { createScratchDatabase } from '@studioflow/migrations/testing';
import { hashTaggedPrefix } from '@studioflow/runtime/config';

// The real API process (no workers), 8 concurrent ~40 MB photo uploads, its RSS sampled every 50 ms.
const UPLOADS = 8;
const SIDE = 3600; // 3600×3600 RGB noise as an uncompressed PNG: 38.9 MB, 13 MP, a valid photo-sized image
const PEAK_LIMIT_MB = 300;

test(`${UPLOADS} concurrent ~40 MB uploads keep the API under ${PEAK_LIMIT_MB} MB RSS and leave no temp files`, async () => {
  const work = await mkdtemp(join(tmpdir(), 'sf-uploadmem-'));
  const storage = join(work, 'storage');
  const db = await createScratchDatabase('uploadmem');
  const prefix = hashTaggedPrefix(`sftest-uploadmem-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const api = spawn(process.execPath, [resolve(__dirname, '../../src/main.js')], {
    env: { ...process.env, PORT: String(port), DATABASE_URL: db.url, QUEUE_PREFIX: prefix, STORAGE_DIR: storage },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => api.once('exit', r));
  const base = `http://127.0.0.1:${port}`;
  try {
    const photos: string[] = [];
    for (let i = 0; i < UPLOADS; i++) {
      const png = await sharp(randomBytes(SIDE * SIDE * 3), { raw: { width: SIDE, height: SIDE, channels: 3 } })
        .png({ compressionLevel: 0, adaptiveFiltering: false })
        .toBuffer();
      photos.push(join(work, `photo-${i}.png`));
      await writeFile(photos[i], png);
    }
    const bytes = (await openAsBlob(photos[0])).size;
    await waitFor(async () => (await fetch(`${base}/api/health`).catch(() => null))?.ok === true, 120_000, 'the API did not become healthy');

    const rss = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${api.pid}/status`, 'utf8'))![1]) / 1024;
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = await rss();
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rss());
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const started = Date.now();
    const answers = await Promise.all(
      photos.map(async (path) => {
        const form = new FormData();
        form.set('image', await openAsBlob(path, { type: 'image/png' }), 'photo.png');
        form.set('templateId', 'white-studio');
        const res = await fetch(`${base}/api/shoots`, { method: 'POST', headers: { Authorization: 'Bearer sf_user_dev' }, body: form });
        return { status: res.status, body: await res.text() };
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    sampling = false;
    await sampler;
    const settled = await rss();
    console.log(
      `upload memory: ${UPLOADS} × ${(bytes / 1e6).toFixed(1)} MB PNG (${SIDE}×${SIDE}) in ${seconds.toFixed(1)} s; ` +
        `API RSS baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, 2 s after ${settled.toFixed(0)} MB`,
    );

    for (const a of answers) assert.equal(a.status, 202, a.body.slice(0, 300));
    assert.ok(peak < PEAK_LIMIT_MB, `peak RSS ${peak.toFixed(0)} MB (baseline ${baseline.toFixed(0)} MB)`);
    await waitFor(async () => (await readdir(join(storage, 'tmp')).catch(() => [])).length === 0, 30_000, 'temp files left in the staging dir');
  } finally {
    api.kill('SIGTERM');
    await exited;
    await db.drop();
    await rm(work, { recursive: true, force: true });
    await dropQueueKeys(prefix);
  }
});

async function waitFor(check: () => Promise<boolean>, ms: number, message: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(message);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** The jobs the shoots enqueued, under this test's own prefix only. */
async function dropQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
