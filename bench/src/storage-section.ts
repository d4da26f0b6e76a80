/**
 * Section "storage": what the S3 artifact store adds to each node of white-studio over the local
 * folder, with the read-through cache on and off. The same graph and photo run in this process
 * through runGraphLocally (concurrency 1) against three stores, interleaved rep by rep:
 * - folder: LocalArtifactStore (today's STORAGE_DIR);
 * - s3, cache on: S3ArtifactStore with a fresh bucket prefix and cache folder per run, the upload
 *   put by another store (the API's), so the worker downloads the input once and reads its own
 *   outputs back from the write-through cache;
 * - s3, cache off: the same with a 0-byte cache: every read downloads.
 * s3rver (loopback, its own process) stands in for the object store: network time is loopback's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { LocalArtifactStore, openArtifactStore, type ArtifactStore } from '@studioflow/runtime/artifacts';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally } from '@studioflow/runtime/local';
import { createProductCatalog, warmUpProductNodes } from '@studioflow/nodes';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { fmt, table } from './table';

type Side = 'folder' | 's3, cache on' | 's3, cache off';
const SIDES: Side[] = ['folder', 's3, cache on', 's3, cache off'];

export interface StorageResult {
  photo: { width: number; height: number; bytes: number };
  reps: number;
  nodes: string[];
  /** Side → node → ms per rep. */
  nodeMs: Record<Side, Record<string, number[]>>;
  wallMs: Record<Side, number[]>;
}

export async function runStorageSection(o: { root: string; reps: number }): Promise<StorageResult> {
  const work = await mkdtemp(join(tmpdir(), 'sf-bench-storage-'));
  const server = spawn(process.execPath, [join(__dirname, 's3-server-child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
    const s3 = JSON.parse(line) as { storageUrl: string; env: Record<string, string> };
    Object.assign(process.env, s3.env);
    sharp.concurrency(1);
    sharp.cache(false);
    await warmUpProductNodes();
    const catalog = createProductCatalog();
    const graph = (JSON.parse(await readFile(join(o.root, 'templates/white-studio.json'), 'utf8')) as { graph: GraphDoc }).graph;
    const photo = await makeProductPhoto({ seed: 31, width: 4000, height: 3000 });
    const result: StorageResult = {
      photo: { width: 4000, height: 3000, bytes: photo.jpeg.length },
      reps: o.reps,
      nodes: graph.nodes.map((n) => n.id),
      nodeMs: { folder: {}, 's3, cache on': {}, 's3, cache off': {} },
      wallMs: { folder: [], 's3, cache on': [], 's3, cache off': [] },
    };
    let runNo = 0;
    const open = (side: Side): { api: ArtifactStore; worker: ArtifactStore } => {
      const dir = join(work, `run-${++runNo}`);
      if (side === 'folder') {
        const store = new LocalArtifactStore(dir);
        return { api: store, worker: store };
      }
      // A fresh prefix per run: nothing of an earlier run is found by the HEAD before each PUT.
      const storageUrl = s3.storageUrl.replace('s3://studioflow-bench/', `s3://studioflow-bench/run-${runNo}/`);
      const cacheBytes = side === 's3, cache on' ? 1024 * 2 ** 20 : 0;
      return {
        api: openArtifactStore({ storageUrl, storageDir: join(dir, 'api'), storageCacheBytes: cacheBytes }),
        worker: openArtifactStore({ storageUrl, storageDir: join(dir, 'worker'), storageCacheBytes: cacheBytes }),
      };
    };
    // One unmeasured run per side: connections, JIT.
    for (let rep = -1; rep < o.reps; rep++) {
      for (const side of SIDES) {
        const { api, worker } = open(side);
        const upload = await api.put(photo.jpeg, { mime: 'image/jpeg' });
        const started = new Map<string, number>();
        const t0 = performance.now();
        const run = await runGraphLocally(graph, {
          catalog,
          artifacts: worker,
          seeds: { upload },
          concurrency: 1,
          onEvent: (e) => {
            if (e.type === 'node.started') started.set(e.nodeId, performance.now());
            if (e.type === 'node.completed' && rep >= 0) (result.nodeMs[side][e.nodeId] ??= []).push(performance.now() - started.get(e.nodeId)!);
          },
        });
        if (run.error) throw new Error(`${side}: ${run.error}`);
        if (rep >= 0) result.wallMs[side].push(performance.now() - t0);
      }
    }
    return result;
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit').catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

export function printStorage(r: StorageResult, summary: string[]): void {
  console.log(`  photo: ${r.photo.width}×${r.photo.height} JPEG, ${fmt(r.photo.bytes / 1e6, 2)} MB; white-studio in process, concurrency 1; median of ${r.reps} runs per side, interleaved`);
  console.log('  object store: s3rver on loopback in its own process (a fresh key prefix per run); cache on: 1 GiB read-through + write-through, cache off: 0 bytes');
  const rows: Array<Array<string | number>> = [['node', ...SIDES.map((s) => `${s} ms`), 'added, cache on', 'added, cache off']];
  for (const node of r.nodes) {
    const [f, on, off] = SIDES.map((s) => median(r.nodeMs[s][node] ?? []));
    rows.push([node, fmt(f!, 0), fmt(on!, 0), fmt(off!, 0), `${on! - f! >= 0 ? '+' : ''}${fmt(on! - f!, 0)} ms`, `${off! - f! >= 0 ? '+' : ''}${fmt(off! - f!, 0)} ms`]);
  }
  const [wf, won, woff] = SIDES.map((s) => median(r.wallMs[s]));
  rows.push(['whole run', fmt(wf!, 0), fmt(won!, 0), fmt(woff!, 0), `${fmt(won! / wf!, 2)}×`, `${fmt(woff! / wf!, 2)}×`]);
  console.log(table(rows));
  const perNode = (w: number) => (w - wf!) / r.nodes.length;
  summary.push(
    `storage: white-studio on a 12 MP photo, S3 store (s3rver, loopback) vs the folder: +${fmt(perNode(won!), 0)} ms per node with the read-through cache ` +
      `(run ${fmt(won! / wf!, 2)}×), +${fmt(perNode(woff!), 0)} ms per node without it (run ${fmt(woff! / wf!, 2)}×); folder run ${fmt(wf!, 0)} ms`,
  );
}
