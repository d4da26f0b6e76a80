import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { createProductCatalog } from '@studioflow/nodes';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { createScratchDatabase } from '@studioflow/migrations/testing';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import { isArtifactRef } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally } from '@studioflow/runtime/local';
import { ArtifactCollector, DEFAULT_RETENTION } from '@studioflow/runtime/retention';

export interface StorageGrowthShoot {
  photo: string;
  /** Bytes in the store after one white-studio shoot (the upload included), intermediates at PNG level 0 (before) and the default (after). */
  beforeBytes: number;
  afterBytes: number;
  /** Process CPU of one shoot (median of SHOOT_REPS), each level. */
  beforeCpuMs: number;
  afterCpuMs: number;
  /** The same at PNG level 1 (no filter), the cheaper alternative weighed against the default. */
  level1Bytes: number;
  level1CpuMs: number;
  /** Bytes of the artifacts each node output, after the change (an output shared by two nodes counts twice). */
  afterByNode: Record<string, number>;
}

export interface StorageGrowthResult {
  shoots: StorageGrowthShoot[];
  gc: { artifacts: number; liveRuns: number; markMs: number; sweepMs: number; deleted: number; bytesFreed: number };
}

/**
 * Storage growth: bytes one white-studio shoot leaves in the store before/after the intermediate PNG
 * change (same process, same photos, STUDIOFLOW_INTERMEDIATE_PNG_LEVEL=0 as the old default), and the
 * collector's throughput on a scratch database: `gcArtifacts` expired artifacts among live runs.
 */
export async function runStorageGrowthSection(options: { root: string; gcArtifacts: number; liveRuns: number }): Promise<StorageGrowthResult> {
  sharp.concurrency(1);
  const template = JSON.parse(await readFile(join(options.root, 'templates/white-studio.json'), 'utf8')) as { graph: GraphDoc } | GraphDoc;
  const doc = 'graph' in template ? template.graph : template;
  const photos: Array<[string, Buffer]> = [['sample product photo 1200×1200', await readFile(join(options.root, 'templates/samples/product-photo.jpg'))]];
  for (const [seed, kind] of [[11, 'mug'], [12, 'shoe']] as const) {
    photos.push([`synthetic ${kind} 4000×3000 JPEG`, (await makeProductPhoto({ seed, kind, width: 4000, height: 3000, quality: 90 })).jpeg]);
  }
  const catalog = createProductCatalog();
  const shoots: StorageGrowthShoot[] = [];
  await oneShoot(doc, catalog, photos[0][1], undefined); // warm-up: first-use costs land on neither side
  for (const [photo, bytes] of photos) {
    const before: Array<Awaited<ReturnType<typeof oneShoot>>> = [];
    const after: Array<Awaited<ReturnType<typeof oneShoot>>> = [];
    const level1: Array<Awaited<ReturnType<typeof oneShoot>>> = [];
    // Alternated, so a change in the machine's load falls on both sides.
    for (let i = 0; i < SHOOT_REPS; i++) {
      before.push(await oneShoot(doc, catalog, bytes, '0'));
      after.push(await oneShoot(doc, catalog, bytes, undefined));
      level1.push(await oneShoot(doc, catalog, bytes, '1'));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    shoots.push({
      photo,
      beforeBytes: before[0].bytes,
      afterBytes: after[0].bytes,
      beforeCpuMs: median(before.map((x) => x.cpuMs)),
      afterCpuMs: median(after.map((x) => x.cpuMs)),
      afterByNode: after[0].byNode,
      level1Bytes: level1[0].bytes,
      level1CpuMs: median(level1.map((x) => x.cpuMs)),
    });
  }
  return { shoots, gc: await gcThroughput(options.gcArtifacts, options.liveRuns) };
}

const SHOOT_REPS = 3;

async function oneShoot(doc: GraphDoc, catalog: ReturnType<typeof createProductCatalog>, photo: Buffer, level: string | undefined): Promise<{ bytes: number; cpuMs: number; byNode: Record<string, number> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-storage-'));
  const previous = process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL;
  if (level === undefined) delete process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL;
  else process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL = level;
  try {
    const store = new LocalArtifactStore(dir);
    const upload = await store.put(photo, { mime: 'image/jpeg' });
    const cpu0 = process.cpuUsage();
    const byNode: Record<string, number> = {};
    const result = await runGraphLocally(doc, {
      catalog,
      artifacts: store,
      seeds: { upload },
      concurrency: 1,
      onEvent: (e) => {
        if (e.type === 'node.completed') byNode[e.nodeId] = Object.values(e.outputs).flat().filter(isArtifactRef).reduce((sum, ref) => sum + ref.bytes, 0);
      },
    });
    const cpu = process.cpuUsage(cpu0);
    if (result.error) throw new Error(`white-studio failed: ${result.error}`);
    return { bytes: await folderBytes(dir), cpuMs: (cpu.user + cpu.system) / 1000, byNode };
  } finally {
    if (previous === undefined) delete process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL;
    else process.env.STUDIOFLOW_INTERMEDIATE_PNG_LEVEL = previous;
    await rm(dir, { recursive: true, force: true });
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Expired artifacts (1 KiB files) with no references, beside live runs whose node outputs reference others. */
async function gcThroughput(count: number, liveRuns: number): Promise<StorageGrowthResult['gc']> {
  const db = await createScratchDatabase('gcbench');
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-gc-'));
  const pool = db.pool(4);
  try {
    const store = new LocalArtifactStore(dir);
    const tenant = (await pool.query(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`)).rows[0].id;
    const graph = (await pool.query(`INSERT INTO graphs (tenant_id, name, draft) VALUES ($1, 'g', '{}') RETURNING id`, [tenant])).rows[0].id;
    const version = (await pool.query(`INSERT INTO graph_versions (graph_id, tenant_id, version, doc) VALUES ($1, $2, 1, '{}') RETURNING id`, [graph, tenant])).rows[0].id;
    const refs = [];
    for (let i = 0; i < count; i++) refs.push(await store.put(Buffer.alloc(1024, `${i} ${randomUUID()}`), { mime: 'image/png' }));
    await pool.query(
      `INSERT INTO artifacts (tenant_id, hash, mime, bytes, created_at) SELECT $1, unnest($2::text[]), 'image/png', 1024, now() - interval '10 days'`,
      [tenant, refs.map((r) => r.hash)],
    );
    // Live runs, four node outputs each, so the collector reads a realistic live set.
    for (let i = 0; i < liveRuns; i++) {
      const id = randomUUID();
      const out = (n: number) => JSON.stringify({ image: { hash: `${id.replace(/-/g, '')}${String(n).padStart(32, '0')}`, mime: 'image/png', bytes: 1 } });
      await pool.query(
        `INSERT INTO runs (id, tenant_id, graph_version_id, status, plan, created_at, finished_at) VALUES ($1, $2, $3, 'completed', '{}', now() - interval '1 day', now() - interval '1 day')`,
        [id, tenant, version],
      );
      await pool.query(
        `INSERT INTO node_runs (run_id, node_id, tenant_id, node_type, state, outputs) SELECT $1, 'n' || k, $2, 't', 'done', (ARRAY[$3, $4, $5, $6]::jsonb[])[k] FROM generate_series(1, 4) k`,
        [id, tenant, out(1), out(2), out(3), out(4)],
      );
    }
    const collector = new ArtifactCollector(pool, store, { ...DEFAULT_RETENTION, graceMs: 0, batchSize: count });
    let t = performance.now();
    const marked = await collector.collect();
    const markMs = performance.now() - t;
    t = performance.now();
    const swept = await collector.collect();
    const sweepMs = performance.now() - t;
    if (!marked || !swept) throw new Error('the collector lock was taken');
    return { artifacts: count, liveRuns, markMs, sweepMs, deleted: swept.deleted, bytesFreed: swept.bytesFreed };
  } finally {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
