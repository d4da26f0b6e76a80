/**
 * Section "storage": what the S3 artifact store adds to each node of white-studio over the local
 * folder, with the read-through cache on and off. The same graph and photo run in a child process
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
import { S3Client } from '@aws-sdk/client-s3';
import { LocalArtifactStore, parseStorageUrl, S3ArtifactStore, type ArtifactStore } from '@studioflow/runtime/artifacts';
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
  /** Side → S3 command → count per run (the worker's store only). */
  requests: Record<Side, Record<string, number[]>>;
}

/**
 * Starts s3rver, then measures in a child process whose nodes keep no decoded pixels between nodes
 * (STUDIOFLOW_PIXEL_CACHE_MB=0): every node reads its inputs from the artifact store, as when the
 * nodes of a run land on different worker processes of one machine.
 */
export async function runStorageSection(o: { root: string; reps: number }): Promise<StorageResult> {
  const server = spawn(process.execPath, [join(__dirname, 's3-server-child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
    const s3 = JSON.parse(line) as { storageUrl: string; env: Record<string, string> };
    const child = spawn(process.execPath, [__filename, s3.storageUrl, o.root, String(o.reps)], {
      env: { ...process.env, ...s3.env, STUDIOFLOW_PIXEL_CACHE_MB: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`the storage bench child exited with ${code}`);
    return JSON.parse(out.trim().split('\n').pop()!) as StorageResult;
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit').catch(() => undefined);
  }
}

async function measure(storageUrl: string, root: string, reps: number): Promise<StorageResult> {
  const o = { root, reps };
  const work = await mkdtemp(join(tmpdir(), 'sf-bench-storage-'));
  const s3 = { storageUrl };
  try {
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
      requests: { folder: {}, 's3, cache on': {}, 's3, cache off': {} },
    };
    const location = parseStorageUrl(s3.storageUrl);
    if (location.kind !== 's3') throw new Error('the bench server is not an S3 store');
    let runNo = 0;
    const open = (side: Side): { api: ArtifactStore; worker: ArtifactStore; sent: Record<string, number> } => {
      const dir = join(work, `run-${++runNo}`);
      const sent: Record<string, number> = {};
      if (side === 'folder') {
        const store = new LocalArtifactStore(dir);
        return { api: store, worker: store, sent };
      }
      const client = new S3Client({ endpoint: location.endpoint, region: location.region, forcePathStyle: location.pathStyle });
      client.middlewareStack.add(
        (next, context) => (args) => {
          const name = String(context.commandName).replace(/Command$/, '');
          sent[name] = (sent[name] ?? 0) + 1;
          return next(args);
        },
        { step: 'initialize' },
      );
      const store = (cacheDir: string, counted: S3Client) =>
        new S3ArtifactStore({
          client: counted,
          bucket: location.bucket,
          // A fresh prefix per run: nothing of an earlier run is found by the HEAD before each PUT.
          prefix: `run-${runNo}/`,
          cacheDir,
          cacheBytes: side === 's3, cache on' ? 1024 * 2 ** 20 : 0,
        });
      const apiClient = new S3Client({ endpoint: location.endpoint, region: location.region, forcePathStyle: location.pathStyle });
      return { api: store(join(dir, 'api'), apiClient), worker: store(join(dir, 'worker'), client), sent };
    };
    // One unmeasured run per side: connections, JIT.
    for (let rep = -1; rep < o.reps; rep++) {
      for (const side of SIDES) {
        const { api, worker, sent } = open(side);
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
        if (rep >= 0) {
          result.wallMs[side].push(performance.now() - t0);
          for (const [name, n] of Object.entries(sent)) (result.requests[side][name] ??= []).push(n);
        }
      }
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [storageUrl, root, reps] = process.argv.slice(2);
  measure(storageUrl!, root!, Number(reps))
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

export function printStorage(r: StorageResult, summary: string[]): void {
  console.log(`  photo: ${r.photo.width}×${r.photo.height} JPEG, ${fmt(r.photo.bytes / 1e6, 2)} MB; white-studio in one process, concurrency 1, no pixel hand-over between nodes`);
  console.log(`  (every node reads its inputs from the store, as on separate workers of one machine); median of ${r.reps} runs per side, interleaved`);
  console.log('  object store: s3rver on loopback in its own process (a fresh key prefix per run); cache on: 1 GiB read-through + write-through, cache off: 0 bytes');
  const rows: Array<Array<string | number>> = [['node', ...SIDES.map((s) => `${s} ms`), 'added, cache on', 'added, cache off']];
  for (const node of r.nodes) {
    const [f, on, off] = SIDES.map((s) => median(r.nodeMs[s][node] ?? []));
    rows.push([node, fmt(f!, 0), fmt(on!, 0), fmt(off!, 0), `${on! - f! >= 0 ? '+' : ''}${fmt(on! - f!, 0)} ms`, `${off! - f! >= 0 ? '+' : ''}${fmt(off! - f!, 0)} ms`]);
  }
  const [wf, won, woff] = SIDES.map((s) => median(r.wallMs[s]));
  rows.push(['whole run', fmt(wf!, 0), fmt(won!, 0), fmt(woff!, 0), `${fmt(won! / wf!, 2)}×`, `${fmt(woff! / wf!, 2)}×`]);
  console.log(table(rows));
  const calls = (side: Side) =>
    Object.entries(r.requests[side])
      .map(([name, ns]) => `${name} ${fmt(median(ns), 0)}`)
      .join(', ');
  console.log(`  requests per run (the worker's store): cache on: ${calls('s3, cache on')}; cache off: ${calls('s3, cache off')}`);
  console.log('  on loopback a download costs about what a local read does; across a network each GetObject saved is a round trip plus the bytes');
  const perNode = (w: number) => (w - wf!) / r.nodes.length;
  summary.push(
    `storage: white-studio on a 12 MP photo, S3 store (s3rver, loopback) vs the folder: +${fmt(perNode(won!), 0)} ms per node with the read-through cache ` +
      `(run ${fmt(won! / wf!, 2)}×), +${fmt(perNode(woff!), 0)} ms per node without it (run ${fmt(woff! / wf!, 2)}×); folder run ${fmt(wf!, 0)} ms`,
  );
}
