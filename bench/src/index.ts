/**
 * npm run bench: one report from one run.
 *   1. throughput: our runtime vs raw BullMQ (chains and diamond DAGs)
 *   2. latency: added scheduling latency per node over raw BullMQ
 *   3. retries: our throughput with retries on (3 attempts + backoff) vs off
 *   4. cache: white-studio on a 12 MP photo through the durable runtime, cold vs re-run with the last param changed
 *   5. image: white-studio and marketplace-studio graphs on a 12 MP JPEG (one core) vs ImageMagick
 *   6. iou: classical segmentation quality on generated product photos with known masks
 *   7. generation: the AI scene template's generation part, BENCH_GEN_RUNS runs at once against a Replicate stand-in (2–10 s per prediction)
 *   8. failover: generate-scene's failover latency, cloud failure → request at the local server (stand-ins)
 *   9. push: node finished → socket received at BENCH_PUSH_SHOOTS open shoots, one socket per shoot vs the tenant room (the real API)
 *  10. batch: a catalog of BENCH_BATCH_ITEMS images as one batch vs one by one through the real API, and another
 *      tenant's single shoot latency meanwhile
 *  11. storage: white-studio per node on the S3 artifact store (s3rver) vs the folder, read-through cache on and off
 *  12. models: each installed segmentation model (studioflow models install) on a CPU slot of the GPU runtime,
 *      cold and warm ms per image and IoU, against the built-in matte on the same photos (skipped when none is installed)
 *  13. storage-growth: bytes one white-studio shoot stores by intermediate PNG level; the artifact collector's throughput
 *  14. workers: white-studio shoots with 1 vs 2 CPU worker processes on the same Redis/PG (real API), CPU split per process
 *  15. real-photos: the classical matte before and now, and each configured segmentation model (also on a 512 px photo), on the
 *      real photographs in bench/real-photo-set (reference masks): IoU and trust verdict per photo, failures, ms; the 2048 px CPU budget
 *  16. editor: the web apps in Chromium: first visit of the editor and the shoot app (phone) on a throttled network, one
 *      chunk vs split chunks, uncompressed vs compressed (bytes, FCP, LCP, palette + canvas); a 300-node graph's first
 *      render and pan/zoom frame rate; budgets printed pass/fail (needs the built editor and /usr/bin/chromium)
 * Env: BENCH_SECTIONS=throughput,latency,retries,cache,image,iou,generation,failover,push,batch,storage,models,storage-growth,workers,real-photos,editor (default all), BENCH_RUNS (default 500),
 *      BENCH_BATCH_ITEMS (default 1000), BENCH_BATCH_TEMPLATE=tiny|white-studio (default tiny: the catalog's own template),
 *      BENCH_GEN_RUNS (default 200), BENCH_GEN_BATCHES (default 1),
 *      BENCH_REPS (default 3), BENCH_RETRY_REPS (default 7), BENCH_IOU_N (default 60), BENCH_CACHE_RERUNS (default 3), REDIS_URL,
 *      BENCH_KEEP_IMAGES=1 (keep the image outputs), BENCH_FAILOVER_REPS (default 15),
 *      BENCH_PUSH_SHOOTS (default 200), BENCH_PUSH_SECONDS (default 30), BENCH_STORAGE_REPS (default 5),
 *      BENCH_MODEL_PHOTOS (default 4 generated photos beside the real ones), BENCH_GC_ARTIFACTS (default 5000),
 *      BENCH_GC_LIVE_RUNS (default 2000), BENCH_WORKERS_SHOOTS (default 40 per round), BENCH_WORKERS_ROUNDS (default 2 pairs
 *      of 1- and 2-worker rounds), BENCH_EDITOR_REPS (default 3 first visits per variant), BENCH_EDITOR_MBPS (default 10),
 *      BENCH_EDITOR_RTT_MS (default 40): the throttled network of the first visits.
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_RETRY, NO_RETRY } from '@studioflow/runtime/bullmq';
import { runCacheSection, type CacheResult } from './cache-section';
import { chainShape, describeShape, diamondShape, type BenchShape } from './graphs';
import { runBatchSection, type BatchSectionResult, type Probe } from './batch-section';
import { runFailoverSection, type FailoverSectionResult } from './failover-section';
import { runPushSection, type PushResult } from './push-section';
import { printStorage, runStorageSection } from './storage-section';
import { printModels, runModelsSection } from './models-section';
import { runStorageGrowthSection, type StorageGrowthResult } from './storage-growth-section';
import { runWorkersSection, type WorkersSectionResult } from './workers-section';
import { printEditor, runEditorSection } from './editor-section';
import { imageMagickArgs } from './imagemagick';
import type { ImageChildResult } from './image-child';
import { runImagePath, type ImagePathResult, type OursImageResult } from './image-path';
import { iouScene, runIouSection, type IouResult } from './iou-section';
import { printRealPhotos, runRealPhotoSection } from './real-photo-section';
import { runGenerationSection, type GenerationResult, type GenerationRun } from './generation-section';
import { noopCatalog } from './noop-nodes';
import { OursSide } from './ours-side';
import { RawSide } from './raw-side';
import { measureLatency, measureThroughput, medianOf, stats, type LatencyResult, type ThroughputResult } from './scheduling';
import type { BenchSide } from './side';
import { fmt, heading, table } from './table';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const CONCURRENCY = 100;
const LATENCY_RUNS = 30;
const WARMUP_RUNS = 100;
const REPS = Number(process.env.BENCH_REPS ?? 3);
/**
 * Retries on/off pairs: more than REPS because the effect sought (≤ 5 %) is smaller than the
 * run-to-run noise of one 500-run batch on a shared 2-core machine (±10–20 %); ~2.6 s per pair.
 */
const RETRY_REPS = Math.max(REPS, Number(process.env.BENCH_RETRY_REPS ?? 7));
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'throughput,latency,retries,cache,image,iou,generation,failover,push,batch,storage,models,storage-growth,workers,real-photos,editor').split(',').map((x) => x.trim()));
const GEN_RUNS = Math.max(1, Number(process.env.BENCH_GEN_RUNS ?? 200));
const GC_ARTIFACTS = Math.max(100, Number(process.env.BENCH_GC_ARTIFACTS ?? 5000));
const GC_LIVE_RUNS = Math.max(0, Number(process.env.BENCH_GC_LIVE_RUNS ?? 2000));
/** Batches of GEN_RUNS one after another: the worker's peak RSS after each shows whether memory keeps growing. */
const GEN_BATCHES = Math.max(1, Number(process.env.BENCH_GEN_BATCHES ?? 1));
const IOU_N = Math.max(50, Number(process.env.BENCH_IOU_N ?? 60));
const FAILOVER_REPS = Math.max(3, Number(process.env.BENCH_FAILOVER_REPS ?? 15));
const CACHE_RERUNS = Math.max(1, Number(process.env.BENCH_CACHE_RERUNS ?? 3));
const PUSH_SHOOTS = Math.max(2, Number(process.env.BENCH_PUSH_SHOOTS ?? 200));
const PUSH_SECONDS = Math.max(5, Number(process.env.BENCH_PUSH_SECONDS ?? 30));
/** The cold photo's seed: used nowhere else in this bench (the scratch database's cache starts empty anyway). */
const CACHE_SEED = 4242;
const ROOT = resolve(__dirname, '../../..');
const BATCH_ITEMS = Math.max(10, Number(process.env.BENCH_BATCH_ITEMS ?? 1000));
const BATCH_TEMPLATE = process.env.BENCH_BATCH_TEMPLATE === 'white-studio' ? 'white-studio' : 'tiny';
const WORKERS_SHOOTS = Math.max(4, Number(process.env.BENCH_WORKERS_SHOOTS ?? 40));
const WORKERS_ROUNDS = Math.max(1, Number(process.env.BENCH_WORKERS_ROUNDS ?? 2));
const EDITOR_REPS = Math.max(1, Number(process.env.BENCH_EDITOR_REPS ?? 3));
const EDITOR_NETWORK = { downloadMbps: Number(process.env.BENCH_EDITOR_MBPS ?? 10), rttMs: Number(process.env.BENCH_EDITOR_RTT_MS ?? 40) };

interface SchedulingResults {
  /** Per shape: [raw, ours], each the median of REPS repetitions. */
  throughput: ThroughputResult[][];
  /** chain-10 on ours with the default retry policy vs retries off, each the median of REPS repetitions. */
  retries?: { on: ThroughputResult; off: ThroughputResult; pairedCosts: number[]; pairedMedian: number };
  latency?: [LatencyResult, LatencyResult];
  creditsNote: string;
}

/**
 * Every side is started up front and measured alternately (raw, ours, raw, ours, …) so slow drift
 * of the machine (other tenants, autovacuum, page cache) hits all alike. An idle side costs nothing
 * measurable: its BullMQ worker sits in a blocking BZPOPMIN. The retries comparison is two more
 * "ours" (own scratch databases and prefixes), default retry policy vs retries off, measured back
 * to back in each repetition, in alternating order.
 */
async function benchScheduling(shapes: BenchShape[], chain: BenchShape): Promise<SchedulingResults> {
  const wantRaw = SECTIONS.has('throughput') || SECTIONS.has('latency');
  const raw = wantRaw ? new RawSide(REDIS_URL, CONCURRENCY) : undefined;
  const ours = new OursSide(REDIS_URL, CONCURRENCY, noopCatalog());
  // The retries pair: two fresh "ours" with identical histories (same batches, same table sizes), so
  // the only difference is the retry policy; the section-1 "ours" is not reused for that reason.
  const oursRetry = SECTIONS.has('retries') ? new OursSide(REDIS_URL, CONCURRENCY, noopCatalog(), DEFAULT_RETRY, 'ours, retries on') : undefined;
  const oursNoRetry = SECTIONS.has('retries') ? new OursSide(REDIS_URL, CONCURRENCY, noopCatalog(), NO_RETRY, 'ours, retries off') : undefined;
  const sides: BenchSide[] = [raw, ours, oursRetry, oursNoRetry].filter((x): x is RawSide | OursSide => x !== undefined);
  const out: SchedulingResults = { throughput: [], creditsNote: '' };
  process.stdout.write(`  starting ${sides.length} sides… `);
  try {
    for (const side of sides) await side.start();
    // Warm-up (JIT, pools, Lua scripts, caches): not reported.
    const warmShapes = SECTIONS.has('throughput') ? shapes : [chain];
    for (const s of warmShapes) for (const side of [raw, ours]) if (side) await side.runBatch(s, Math.min(WARMUP_RUNS, RUNS));
    if (oursRetry && oursNoRetry) for (const side of [oursRetry, oursNoRetry]) await side.runBatch(chain, Math.min(WARMUP_RUNS, RUNS));
    process.stdout.write('warm… ');
    if (SECTIONS.has('throughput') || oursNoRetry) {
      const reps = shapes.map(() => [[], []] as ThroughputResult[][]);
      const on: ThroughputResult[] = [];
      const off: ThroughputResult[] = [];
      const total = Math.max(SECTIONS.has('throughput') ? REPS : 0, oursNoRetry ? RETRY_REPS : 0);
      for (let rep = 0; rep < total; rep++) {
        if (SECTIONS.has('throughput') && raw && rep < REPS) {
          for (const [i, s] of shapes.entries()) for (const [k, side] of [raw, ours].entries()) reps[i][k].push(await measureThroughput(side, s, RUNS));
        }
        if (oursRetry && oursNoRetry && rep < RETRY_REPS) {
          if (rep % 2 === 0) {
            on.push(await measureThroughput(oursRetry, chain, RUNS));
            off.push(await measureThroughput(oursNoRetry, chain, RUNS));
          } else {
            off.push(await measureThroughput(oursNoRetry, chain, RUNS));
            on.push(await measureThroughput(oursRetry, chain, RUNS));
          }
        }
        process.stdout.write(`rep ${rep + 1}/${total}… `);
      }
      if (SECTIONS.has('throughput') && raw) out.throughput = reps.map((perSide) => perSide.map(medianOf));
      if (oursNoRetry) {
        const pairedCosts = on.map((o, i) => 1 - o.rate / off[i].rate);
        const sorted = [...pairedCosts].sort((a, b) => a - b);
        out.retries = { on: medianOf(on), off: medianOf(off), pairedCosts, pairedMedian: sorted[Math.floor((sorted.length - 1) / 2)] };
      }
    }
    if (SECTIONS.has('latency') && raw) {
      for (let i = 0; i < 5; i++) for (const side of [raw, ours]) await side.runOne(chain); // warm the single-run path
      const [r, o] = await measureLatency([raw, ours], chain, LATENCY_RUNS);
      out.latency = [r, o];
      process.stdout.write('latency… ');
    }
    out.creditsNote = `${fmt(await ours.creditsCharged())} credits charged in PostgreSQL (1 per run, warm-ups included)`;
  } finally {
    for (const side of sides) await side.close();
    console.log('closed');
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const chain = chainShape(10);
  const diamond = diamondShape();
  const shapes = [chain, diamond];
  const summary: string[] = [];

  console.log('Studioflow bench');
  console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}`);
  console.log(`  one Node process for everything (this one): both sides' workers live here, measured one side at a time;`);
  console.log(`  PostgreSQL and Redis are separate processes on the same machine (loopback).`);
  const load0 = loadavg()[0];
  console.log(`  load average (1 min) at start: ${fmt(load0, 2)}${load0 > 1 ? '  ← the machine is busy: expect noisy numbers' : ''}`);

  let sched: SchedulingResults | undefined;
  if (SECTIONS.has('throughput') || SECTIONS.has('latency') || SECTIONS.has('retries')) {
    heading('Setup');
    console.log(`  shapes:`);
    for (const s of shapes) console.log(`    ${s.name.padEnd(11)} ${describeShape(s)}`);
    console.log(`  worker concurrency ${CONCURRENCY} on both sides; ${RUNS} runs started at once per shape and repetition;`);
    console.log(`  ${REPS} repetitions, sides alternating, median reported; a ${Math.min(WARMUP_RUNS, RUNS)}-run warm-up per shape and side first`);
    console.log(`  raw:  BullMQ Worker; the processor adds the next job(s) itself (addBulk), joins count with HINCRBY;`);
    console.log(`        plain ioredis connections (maxRetriesPerRequest: null), as BullMQ documents`);
    console.log(`  ours: createRuns (credits, one tx) → BullMQ → NodeWorkerHost (defineNode no-ops, report ports)`);
    console.log(`        → RunCoordinator group commit → PgRunStore.applyEvents → enqueue next; separate API/worker pools`);
    console.log(`  both: same Redis, same job options (jobId, 3 attempts with backoff, removeOnComplete 2000)`);
    if (SECTIONS.has('retries')) {
      console.log(`  retries: two more "ours" (own databases and prefixes), NodeQueues with retries on (per-node attempts and backoff) vs NO_RETRY`);
      console.log(`           (jobs with 1 attempt); chain-10 only,`);
      console.log(`           ${RETRY_REPS} on/off pairs measured back to back, order alternating (the first ${REPS} interleaved with the throughput reps)`);
    }
    sched = await benchScheduling(shapes, chain);
  }

  if (sched && sched.throughput.length) {
    heading('1. Throughput (node executions per second, higher is better)');
    const rows: Array<Array<string | number>> = [['shape', 'side', 'runs', 'executions', 'seconds', 'exec/s', `all ${REPS} reps`, 'ours/raw']];
    for (const [i, s] of shapes.entries()) {
      const [r, o] = sched.throughput[i];
      const reps = (t: ThroughputResult) => (t.rates ?? []).map((x) => fmt(x)).join(' / ');
      rows.push([s.name, 'raw BullMQ', r.runs, r.executions, fmt(r.seconds, 2), r.rate, reps(r), '']);
      rows.push([s.name, 'ours', o.runs, o.executions, fmt(o.seconds, 2), o.rate, reps(o), `${fmt(o.rate / r.rate, 2)}×`]);
      const ok = o.rate / r.rate >= 0.4 ? 'meets' : 'MISSES';
      summary.push(`${s.name === 'chain-10' ? 'chains  ' : 'diamonds'} ${RUNS}×10 nodes: ${fmt(o.rate)} node exec/s vs raw BullMQ ${fmt(r.rate)}/s = ${fmt(o.rate / r.rate, 2)}× (${ok} the 0.4× target)`);
    }
    console.log(table(rows));
    const failed = sched.throughput.reduce((n, [, o]) => n + o.failed, 0);
    console.log(`  ours: ${failed} runs failed; ${sched.creditsNote}`);
  }

  if (sched?.latency) {
    const [rl, ol] = sched.latency;
    heading(`2. Latency (one 10-node chain at a time, ${LATENCY_RUNS} chains per side, alternating, ms)`);
    const rs = stats(rl.steps);
    const os = stats(ol.steps);
    const rf = stats(rl.firsts);
    const of = stats(ol.firsts);
    const rw = stats(rl.walls);
    const ow = stats(ol.walls);
    console.log('  per node = start of a node → start of the next one (no-op work, so this is all scheduling)');
    console.log(table([
      ['metric', 'raw p50', 'raw p95', 'ours p50', 'ours p95', 'added p50', 'added p95'],
      [`per node (${rl.steps.length} steps)`, fmt(rs.p50, 2), fmt(rs.p95, 2), fmt(os.p50, 2), fmt(os.p95, 2), fmt(os.p50 - rs.p50, 2), fmt(os.p95 - rs.p95, 2)],
      ['submit → first node', fmt(rf.p50, 2), fmt(rf.p95, 2), fmt(of.p50, 2), fmt(of.p95, 2), fmt(of.p50 - rf.p50, 2), fmt(of.p95 - rf.p95, 2)],
      ['whole chain', fmt(rw.p50, 2), fmt(rw.p95, 2), fmt(ow.p50, 2), fmt(ow.p95, 2), fmt(ow.p50 - rw.p50, 2), fmt(ow.p95 - rw.p95, 2)],
    ]));
    const added = os.p50 - rs.p50;
    console.log(`  target: added ≤ 2 ms per node at p50 → ${added <= 2 ? 'met' : 'MISSED'}`);
    summary.push(`latency: +${fmt(added, 2)} ms per node p50 (+${fmt(os.p95 - rs.p95, 2)} ms p95) over raw BullMQ (${fmt(rs.p50, 2)} ms/node); a whole 10-node chain ${fmt(ow.p50, 1)} ms vs ${fmt(rw.p50, 1)} ms`);
  }

  if (sched?.retries) printRetries(sched.retries, summary);

  if (SECTIONS.has('cache')) {
    heading('4. Execution cache: white-studio on a 12 MP photo through the durable runtime');
    process.stdout.write('  running (worker warm-up, a small warm-up photo, then the measured runs)… ');
    const c = await runCacheSection({ redisUrl: REDIS_URL, templatePath: join(ROOT, 'templates/white-studio.json'), seed: CACHE_SEED, reruns: CACHE_RERUNS });
    console.log('done');
    printCache(c, summary);
  }

  if (SECTIONS.has('image')) {
    heading('5. Image path: 12 MP JPEG → white-studio and marketplace-studio graphs vs ImageMagick (one core)');
    const img = await runImagePath(
      [
        { name: 'white-studio', path: join(ROOT, 'templates/white-studio.json') },
        { name: 'marketplace-studio', path: join(ROOT, 'templates/marketplace-studio.json') },
      ],
      join(__dirname, 'image-child.js'),
    );
    printImage(img, summary);
  }

  if (SECTIONS.has('iou')) {
    heading(`6. Segmentation quality: segment (classical) on ${IOU_N} generated photos with known masks`);
    const r = await runIouSection(IOU_N);
    printIou(r, summary);
  }

  if (SECTIONS.has('real-photos')) {
    heading('15. Real photos: classical matte before / now, and configured models (also on a reduced photo), with the trust check, against reference masks');
    printRealPhotos(await runRealPhotoSection(), summary);
  }

  if (SECTIONS.has('generation')) {
    heading(`7. Generation: ${GEN_RUNS} AI scene generations at once${GEN_BATCHES > 1 ? ` (${GEN_BATCHES} batches, the last reported)` : ''} against a Replicate stand-in (2–10 s per prediction)`);
    process.stdout.write('  running (worker process warm-up, a 2-run warm-up, then the measured batch)… ');
    const g = await runGenerationSection({
      redisUrl: REDIS_URL,
      templatePath: join(ROOT, 'templates/ai-scene.json'),
      runs: GEN_RUNS,
      latencyMs: [2000, 10_000],
      seed: 11,
      cpuConcurrency: 2,
      cloudConcurrency: GEN_RUNS,
      outputSide: 1024,
      batches: GEN_BATCHES,
    });
    console.log('done');
    printGeneration(g, summary);
  }

  if (SECTIONS.has('failover')) {
    heading(`8. Failover: generate-scene, cloud failure → the local server (${FAILOVER_REPS} requests each, loopback stand-ins)`);
    printFailover(await runFailoverSection(FAILOVER_REPS), summary);
  }

  if (SECTIONS.has('push')) {
    heading(`9. Push: node finished → socket received, ${PUSH_SHOOTS} shoots open at once, one socket per shoot (the real API process)`);
    process.stdout.write('  running (API start, shoots submitted, then each mode for the window)… ');
    const p = await runPushSection({ redisUrl: REDIS_URL, root: ROOT, shoots: PUSH_SHOOTS, seconds: PUSH_SECONDS, seed: 21 });
    console.log('done');
    printPush(p, summary);
  }

  if (SECTIONS.has('batch')) {
    heading(`10. Batch catalogs: ${BATCH_ITEMS} images as one batch vs one by one (API + one worker process), another tenant's shoot meanwhile`);
    process.stdout.write('  running (API and worker start, idle probes, one by one, then the batch)… ');
    const r = await runBatchSection({ root: ROOT, redisUrl: REDIS_URL, items: BATCH_ITEMS, template: BATCH_TEMPLATE });
    console.log('done');
    printBatch(r, summary);
  }

  if (SECTIONS.has('storage')) {
    heading('11. Storage: white-studio per node on the S3 artifact store vs the folder, read-through cache on and off');
    process.stdout.write('  running (s3rver start, a warm-up run per side, then the interleaved runs)… ');
    const r = await runStorageSection({ root: ROOT, reps: Number(process.env.BENCH_STORAGE_REPS ?? 5) });
    console.log('done');
    printStorage(r, summary);
  }

  if (SECTIONS.has('models')) {
    heading('12. Segmentation models: each installed model on a CPU slot of the GPU runtime vs the built-in matte');
    process.stdout.write('  running (the built-in matte, then each model: a cold first job, then every photo warm)… ');
    const m = await runModelsSection({ root: ROOT, generated: Math.max(1, Number(process.env.BENCH_MODEL_PHOTOS ?? 4)) });
    console.log('done');
    printModels(m, summary);
  }

  if (SECTIONS.has('storage-growth')) {
    heading(`13. Storage growth: bytes one white-studio shoot stores by intermediate PNG level (0 was the default); collector throughput`);
    process.stdout.write('  running (three photos, three levels, three times each; then a collector on a scratch database)… ');
    const r = await runStorageGrowthSection({ root: ROOT, gcArtifacts: GC_ARTIFACTS, liveRuns: GC_LIVE_RUNS });
    console.log('done');
    printStorageGrowth(r, summary);
  }

  if (SECTIONS.has('workers')) {
    heading(`14. Workers: ${WORKERS_SHOOTS} white-studio shoots with 1 vs 2 CPU worker processes (same API, Redis, PostgreSQL)`);
    process.stdout.write(`  running (${WORKERS_ROUNDS * 2} rounds alternating 1 and 2 workers, each after a warm-up)… `);
    const w = await runWorkersSection({ root: ROOT, redisUrl: REDIS_URL, shoots: WORKERS_SHOOTS, rounds: WORKERS_ROUNDS, cores: cpus().length });
    console.log('done');
    printWorkers(w, summary);
  }

  if (SECTIONS.has('editor')) {
    heading(`16. Editor: first visits (one chunk vs split, uncompressed vs compressed) and a 300-node graph, in Chromium`);
    process.stdout.write(`  running (one-chunk build, two APIs, ${EDITOR_REPS} first visits per variant and app, then the big graph)… `);
    const r = await runEditorSection({ root: ROOT, redisUrl: REDIS_URL, reps: EDITOR_REPS, network: EDITOR_NETWORK });
    console.log('done');
    printEditor(r, summary);
  }

  heading('Summary (paste into the release note)');
  console.log(`  Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version},`);
  console.log(`  Redis + PostgreSQL on loopback; one worker process per side, concurrency ${CONCURRENCY}.`);
  for (const line of summary) console.log(`  - ${line}`);
  console.log(`\n  (bench took ${fmt((performance.now() - started) / 1000, 1)} s; load average at start ${fmt(load0, 2)}, at end ${fmt(loadavg()[0], 2)})`);
}

function printWorkers(w: WorkersSectionResult, summary: string[]): void {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const ours = (r: WorkersSectionResult['rounds'][number]) => r.cpu.api + sum(r.cpu.workers);
  const cores = (x: number, r: WorkersSectionResult['rounds'][number]) => fmt(x / r.seconds, 2);
  const rows: Array<Array<string | number>> = [['workers', 'shoots', 's', 'shoots/s', 'failed', 'worker CPU s/shoot', 'cores busy: API', 'each worker', 'rest (PG, Redis, bench, other)', 'idle']];
  for (const r of w.rounds) {
    rows.push([String(r.workers), String(r.shoots), fmt(r.seconds, 1), r.perSecond, String(r.failed), fmt(sum(r.cpu.workers) / r.shoots, 2), cores(r.cpu.api, r), r.cpu.workers.map((x) => cores(x, r)).join(' + '), cores(r.cpu.rest, r), cores(r.cpu.idle, r)]);
  }
  console.log(table(rows));
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
  };
  const of = (n: number) => w.rounds.filter((r) => r.workers === n);
  const rate = (n: number) => median(of(n).map((r) => r.perSecond));
  const perShoot = (n: number) => median(of(n).map((r) => sum(r.cpu.workers) / r.shoots));
  const busy = (n: number) => median(of(n).map((r) => ours(r) / r.seconds));
  const ratio = rate(2) / rate(1);
  const contended = w.rounds.some((r) => r.cpu.rest / r.seconds > 0.3 * w.cores);
  console.log(
    `  2 workers vs 1: ${fmt(ratio, 2)}× shoots/s (median of ${of(1).length} rounds each). A shoot costs the same worker CPU either way ` +
      `(${fmt(perShoot(1), 2)} vs ${fmt(perShoot(2), 2)} s); the difference is the CPU time our processes got (${fmt(busy(1), 2)} vs ${fmt(busy(2), 2)} cores busy). ` +
      `Worker CPU alone caps ${w.cores} cores at ${fmt(w.cores / perShoot(1), 1)} shoots/s (the API, PostgreSQL and Redis take their share of the same cores).`,
  );
  if (contended) console.log('  note: other processes took a large share of the CPU (rest column): the ratio here is partly the bigger share two processes win, not capacity');
  summary.push(
    `workers: white-studio 640×480 shoots ${fmt(rate(1), 2)}/s with 1 CPU worker process, ${fmt(rate(2), 2)}/s with 2 = ${fmt(ratio, 2)}× on ${w.cores} cores; ` +
      `${fmt(perShoot(1), 2)} worker CPU s per shoot either way (worker CPU alone caps ${w.cores} cores at ~${fmt(w.cores / perShoot(1), 1)} shoots/s); ` +
      `our processes kept ${fmt(busy(1), 2)} vs ${fmt(busy(2), 2)} cores busy${contended ? ' (machine shared with other load)' : ''}`,
  );
}

function printBatch(r: BatchSectionResult, summary: string[]): void {
  const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
  const s = (ms: number) => fmt(ms / 1000, 2);
  const probeRow = (what: string, ps: Probe[]) => [
    what,
    String(ps.length),
    s(q(ps.map((p) => p.doneMs), 0.5)),
    s(q(ps.map((p) => p.doneMs), 0.95)),
    s(Math.max(...ps.map((p) => p.doneMs))),
    fmt(q(ps.map((p) => p.acceptedMs), 0.5), 0),
    fmt(Math.max(...ps.map((p) => p.acceptedMs)), 0),
  ];
  const images = r.template === 'white-studio' ? '320×240 product photos' : '64×48 PNGs';
  console.log(`  tenant A's catalog: ${r.items} ${images} on template ${r.template}; one worker process (CPU concurrency 2), STUDIOFLOW_TENANT_INFLIGHT default 8`);
  console.log(table([
    ["A's catalog", 'seconds', 'items/s', 'failed'],
    ['one by one (POST /shoots, 8 uploads in flight)', fmt(r.oneByOne.seconds, 1), r.oneByOne.perSecond, String(r.oneByOne.failed)],
    [`one batch (POST /batches; upload accepted in ${fmt(r.batch.acceptedMs, 0)} ms)`, fmt(r.batch.seconds, 1), r.batch.perSecond, String(r.batch.failed)],
  ]));
  console.log(table([
    ["tenant B: one white-studio shoot (640×480)", 'shoots', 'p50 s', 'p95 s', 'max s', 'accepted p50 ms', 'accepted max ms'],
    probeRow('idle', r.idle),
    probeRow("while A's shoots run one by one", r.oneByOne.probes),
    probeRow("while A's batch runs", r.batch.probes),
  ]));
  const worst = Math.max(...r.batch.probes.map((p) => p.doneMs));
  const met = worst <= 3000;
  console.log(`  target: B's shoot done in ≤ 3 s while A's batch runs → ${met ? 'met' : 'MISSED'} (worst ${s(worst)} s)`);
  summary.push(
    `batch: ${r.items} items (${r.template}) as one batch ${fmt(r.batch.perSecond)} items/s vs one by one ${fmt(r.oneByOne.perSecond)}/s; ` +
      `tenant B's white-studio shoot while A's batch runs p50 ${s(q(r.batch.probes.map((p) => p.doneMs), 0.5))} s, max ${s(worst)} s (idle ${s(q(r.idle.map((p) => p.doneMs), 0.5))} s; ${met ? 'meets' : 'MISSES'} ≤ 3 s), ` +
      `its upload accepted in ≤ ${fmt(Math.max(...r.batch.probes.map((p) => p.acceptedMs)), 0)} ms`,
  );
}

function printPush(r: PushResult, summary: string[]): void {
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
  console.log(`  ${r.shoots} white-studio shoots by one seller, queued (no worker); their notices published on the window's schedule`);
  console.log(`  by the runtime's NoticePublisher, as workers do (${fmt(r.eventsPerShoot, 0)} events per shoot: run.started, per node started, 2 × progress,`);
  console.log(`  completed with artifact refs, run.completed); sockets in a separate process; latency = publish() of node.completed → the socket's handler`);
  console.log(`  (epoch ms, one clock); API CPU from /proc/<pid>/stat over the window.`);
  console.log(table([
    ['mode', 'samples', 'p50 ms', 'p95 ms', 'max ms', 'lost', 'other shoots\' events per socket', 'API CPU s', 'API CPU % of a core', 'sockets CPU % of a core'],
    ...r.modes.map((m) => [
      m.mode === 'per shoot' ? 'per shoot: seller socket, subscribe {runId}' : 'tenant room (before): every socket in the tenant feed',
      String(m.latencies.length),
      fmt(q(m.latencies, 0.5), 1),
      fmt(q(m.latencies, 0.95), 1),
      fmt(Math.max(...m.latencies), 1),
      String(m.missing),
      fmt(m.foreignPerSocket, 0),
      fmt(m.apiCpuS, 2),
      fmt((m.apiCpuS / m.windowS) * 100, 0),
      fmt((m.clientsCpuS / m.windowS) * 100, 0),
    ]),
  ]));
  const per = r.modes.find((m) => m.mode === 'per shoot');
  const room = r.modes.find((m) => m.mode === 'tenant feed');
  if (!per || !room) return;
  console.log('  all sockets share one process here (each browser has its own machine): where that process nears 100 % of a core, part of');
  console.log('  the latency is the receiving end\'s queue, not the API\'s; the API CPU column is the server side alone.');
  const p95 = q(per.latencies, 0.95);
  const ok = p95 < 100 && per.missing === 0;
  console.log(`  target: p95 < 100 ms at ${r.shoots} shoots, nothing lost → ${ok ? 'met' : 'MISSED'}`);
  summary.push(
    `push: ${r.shoots} shoots open, one socket each: node finished → socket p50 ${fmt(q(per.latencies, 0.5), 1)} ms, p95 ${fmt(p95, 1)} ms (${ok ? 'meets' : 'MISSES'} < 100 ms), ` +
      `API CPU ${fmt(per.apiCpuS, 1)} s; the tenant room as before: p95 ${fmt(q(room.latencies, 0.95), 1)} ms, ${fmt(room.foreignPerSocket, 0)} other shoots' events per socket, API CPU ${fmt(room.apiCpuS, 1)} s ` +
      `(${fmt(room.apiCpuS / per.apiCpuS, 1)}×)`,
  );
}

function printFailover(r: FailoverSectionResult, summary: string[]): void {
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const row = (what: string, xs: number[]) => [what, fmt(q(xs, 0.5), 1), fmt(q(xs, 0.95), 1), fmt(Math.max(...xs), 1)];
  console.log(table([
    ['ms (Date.now at the stand-ins)', 'p50', 'p95', 'max'],
    row('local first, no failover: request start → Cog PUT', r.direct),
    row('Replicate 503: failed create received → Cog PUT', r.failureToLocal),
    row('Replicate 503: request start → Cog PUT', r.outageStartToLocal),
    row(`breaker ${r.breakerState}: request start → Cog PUT`, r.openStartToLocal),
  ]));
  // Per back-to-back pair: the local side's own work (placement, PNGs) is noisy on a busy machine.
  const overhead = q(r.outageStartToLocal.map((x, i) => x - r.direct[i]), 0.5);
  console.log('  1K images; every local request first places the product and encodes the canvas and mask PNGs it sends to Cog (the local-first row)');
  console.log(`  failover overhead, median over back-to-back pairs of (outage start → Cog PUT) − (local-first start → Cog PUT): ${fmt(overhead, 1)} ms`);
  console.log('  (the cloud\'s reference PNG, the 503 round trip and the breaker; a value under the local side\'s spread means lost in the noise)');
  summary.push(
    `failover: cloud 503 → request at the local Cog server p50 ${fmt(q(r.failureToLocal, 0.5), 1)} ms (p95 ${fmt(q(r.failureToLocal, 0.95), 1)}), ${fmt(overhead, 1)} ms over a local-first request; ` +
      `local-first ${fmt(q(r.direct, 0.5), 1)} ms; with the cloud breaker ${r.breakerState} ${fmt(q(r.openStartToLocal, 0.5), 1)} ms (loopback stand-ins, ${r.reps} each)`,
  );
}

function printRetries(r: NonNullable<SchedulingResults['retries']>, summary: string[]): void {
  heading('3. Retries cost (ours, chain-10: retries on vs off; node executions per second)');
  const reps = (t: ThroughputResult) => (t.rates ?? []).map((x) => fmt(x)).join(' / ');
  const cost = 1 - r.on.rate / r.off.rate;
  const pct = (x: number) => fmt(Math.abs(x) < 0.0005 ? 0 : x * 100, 1);
  console.log(table([
    ['configuration', 'runs', 'executions', 'seconds', 'exec/s', `all ${r.pairedCosts.length} reps`],
    ['retries on: 3 attempts, exponential backoff 1 s (default)', r.on.runs, r.on.executions, fmt(r.on.seconds, 2), r.on.rate, reps(r.on)],
    ['retries off: NodeQueues NO_RETRY (1 attempt per job)', r.off.runs, r.off.executions, fmt(r.off.seconds, 2), r.off.rate, reps(r.off)],
  ]));
  console.log(`  nodes never fail here: this is the bookkeeping cost of retryable jobs; ${r.on.failed + r.off.failed} runs failed`);
  console.log(`  cost = 1 − on/off on the median rates: ${pct(cost)} %`);
  console.log(`  cross-check, per back-to-back pair: ${r.pairedCosts.map((c) => `${pct(c)} %`).join(' / ')} → median ${pct(r.pairedMedian)} %`);
  const ok = cost <= 0.05;
  console.log(`  target: ≤ 5 % → ${ok ? 'met' : 'MISSED'}`);
  summary.push(
    `retries: chains ${RUNS}×10 with retries on (3 attempts + backoff) ${fmt(r.on.rate)} node exec/s vs off ${fmt(r.off.rate)}/s → cost ${pct(cost)} % (median of ${r.pairedCosts.length} back-to-back pairs ${pct(r.pairedMedian)} %; ${ok ? 'meets' : 'MISSES'} the ≤ 5 % target)`,
  );
}

function printCache(c: CacheResult, summary: string[]): void {
  console.log(`  photo: ${c.photo.width}×${c.photo.height} JPEG, ${fmt(c.photo.bytes / 1e6, 2)} MB (makeProductPhoto seed ${c.photo.seed}, fresh: used nowhere else; fresh scratch database, empty cache)`);
  console.log(`  wiring: createRuns (credits, one tx, cache lookups) → BullMQ → NodeWorkerHost (product catalog, cpu concurrency ${c.workerConcurrency},`);
  console.log(`  sharp 1 thread, warmUpProductNodes) → RunCoordinator group commit → PgRunStore; wall = startRuns → run.completed notice`);
  const ids = c.cold.nodes.map((n) => n.nodeId);
  const cell = (n: { state: string; durationMs: number | null }) => (n.state === 'cached' ? 'cached' : `${n.state} ${n.durationMs ?? '?'} ms`);
  const rows: Array<Array<string | number>> = [['run', 'params', 'wall ms', ...ids.map((id) => `${id} (${c.cold.nodes.find((n) => n.nodeId === id)!.type})`)]];
  rows.push(['cold', 'deliver.jpegQuality 90', fmt(c.cold.wallMs, 0), ...c.cold.nodes.map(cell)]);
  for (const [i, r] of c.reruns.entries()) rows.push([`re-run ${i + 1}`, 'deliver.jpegQuality 85', fmt(r.wallMs, 0), ...r.nodes.map(cell)]);
  console.log(table(rows));
  const ratio = c.rerunWallMs / c.cold.wallMs;
  const first = c.reruns[0];
  const cached = first.nodes.filter((n) => n.state === 'cached').map((n) => n.nodeId);
  const reran = first.nodes.filter((n) => n.state !== 'cached').map((n) => n.nodeId);
  const coldCached = c.cold.nodes.filter((n) => n.state === 'cached').map((n) => n.nodeId);
  console.log(`  node states from node_runs.state; duration = node_runs.duration_ms (the node's own run time)`);
  console.log(`  cold run: ${coldCached.length ? `cached ${coldCached.join(', ')} (unexpected)` : 'nothing cached'}; re-run: cached ${cached.join(', ') || 'nothing'}; re-ran ${reran.join(', ') || 'nothing'}`);
  const ran = (r: CacheResult['cold']) => sum(r.nodes.filter((n) => n.state !== 'cached').map((n) => n.durationMs ?? 0));
  const reranMs = c.reruns.map(ran).sort((a, b) => a - b)[Math.floor((c.reruns.length - 1) / 2)];
  console.log(
    `  where a re-run's time goes: the re-run node(s) ${fmt(reranMs, 0)} ms (median), the runtime around them (run creation, cache lookups, ` +
      `queue, commits) ~${fmt(c.rerunWallMs - reranMs, 0)} ms; with ${reran.join(', ')} not cacheable the floor is ${fmt(reranMs / c.cold.wallMs, 3)} of cold`,
  );
  const ok = ratio <= 0.1;
  console.log(`  re-run / cold = ${fmt(c.rerunWallMs, 0)} ms (median of ${c.reruns.length}) / ${fmt(c.cold.wallMs, 0)} ms = ${fmt(ratio, 3)}   target ≤ 0.10 → ${ok ? 'met' : 'MISSED'}`);
  summary.push(
    `execution cache: white-studio on a 12 MP photo through the durable runtime: cold ${fmt(c.cold.wallMs, 0)} ms, re-run with only deliver.jpegQuality 90→85 ` +
      `${fmt(c.rerunWallMs, 0)} ms = ${fmt(ratio, 3)}× (${ok ? 'meets' : 'MISSES'} the ≤ 0.10 target); cached: ${cached.join(', ') || 'none'}; re-ran: ${reran.join(', ') || 'none'}`,
  );
}

/** Node ids whose work is the marketplace chain: everything but the product-fidelity check. */
/** All nodes' CPU of one job, s. */
function nodeCpuS(perNode?: Record<string, number>): number {
  return perNode ? sum(Object.values(perNode)) / 1000 : NaN;
}

/** The marketplace chain: every node but the fidelity check. */
function chainNodes(perNode?: Record<string, number>): string[] {
  return Object.keys(perNode ?? {}).filter((id) => id !== 'fidelity');
}

/** The chain's CPU of one job, s. */
function chainCpuS(perNode?: Record<string, number>): number {
  return perNode ? sum(chainNodes(perNode).map((id) => perNode[id])) / 1000 : NaN;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function printImage(img: ImagePathResult, summary: string[]): void {
  console.log(`  photo: ${img.photo.width}×${img.photo.height} JPEG, ${fmt(img.photo.bytes / 1e6, 2)} MB (makeProductPhoto seed 7)`);
  console.log(`  ours: one child process per graph and mode (runGraphLocally, concurrency 1, sharp.concurrency(1), cache off, taskset -c 0);`);
  console.log(`  "fresh": the process's first job (cold JIT); "worker": after warmUpProductNodes, as a worker process does at start.`);
  console.log(`  Five jobs per process: the 1st, and "steady" = the median of jobs 2–5; CPU/RSS in-process (cpuUsage; maxRSS over all). ImageMagick: median of 3 by CPU.`);
  const rows: Array<Array<string | number>> = [['side', 'CPU s', 'run CPU s', 'wall s', 'peak RSS MB', 'how']];
  const good = (o: OursImageResult | undefined): o is ImageChildResult & { cpuS: number; wallS: number; peakRssMb: number } =>
    !!o && 'cpuS' in o && o.cpuS !== undefined;
  for (const [mode, set] of [['fresh', img.ours], ['worker', img.oursWorker]] as const) {
    for (const [name, o] of Object.entries(set)) {
      if ('skipped' in o && o.skipped) console.log(`  ${name} (${mode}): skipped: ${o.skipped}`);
      else if ('error' in o && o.error) console.log(`  ${name} (${mode}): FAILED: ${o.error}`);
      else if (good(o)) {
        rows.push([`ours ${name}, ${mode}, 1st job`, fmt(nodeCpuS(o.nodeCpuMs), 2), fmt(o.cpuS, 2), fmt(o.wallS, 2), fmt(o.peakRssMb, 0), 'cpuUsage per node, maxRSS']);
        if (o.warmWallS !== undefined) rows.push([`ours ${name}, ${mode}, steady`, fmt(nodeCpuS(o.warmNodeCpuMs), 2), fmt(o.warmCpuS!, 2), fmt(o.warmWallS, 2), '', '']);
      }
    }
  }
  const im = img.im;
  const imOk = !('skipped' in im);
  if ('skipped' in im) console.log(`  ImageMagick: skipped: ${im.skipped}`);
  else rows.push(['ImageMagick 6 (convert, 1 thread)', fmt(im.cpuS, 2), fmt(im.cpuS, 2), fmt(im.wallS, 2), fmt(im.peakRssMb, 0), `${im.method}; taskset -c 0`]);
  console.log(`  CPU s: the nodes' own CPU, what a worker spends per job; run CPU s adds runGraphLocally around them (its 1st job`);
  console.log(`  includes compiling the graph's param validators, ~20 ms once per graph version, which the API does in production).`);
  if (rows.length > 1) console.log(table(rows));

  const per = (w?: Record<string, number>, c?: Record<string, number>) =>
    Object.keys(w ?? {}).map((k) => `${k} ${fmt(w![k], 0)}/${fmt(c?.[k] ?? NaN, 0)}`).join(', ');
  for (const [mode, set] of [['fresh', img.ours], ['worker', img.oursWorker]] as const) {
    for (const [name, o] of Object.entries(set)) {
      if (!good(o) || !o.nodeMs) continue;
      console.log(`  ${name}, ${mode}, per node wall/CPU ms, 1st job: ${per(o.nodeMs, o.nodeCpuMs)}`);
      if (o.warmNodeMs) console.log(`  ${name}, ${mode}, per node wall/CPU ms, steady: ${per(o.warmNodeMs, o.warmNodeCpuMs)}`);
    }
  }
  const ws = img.oursWorker['white-studio'];
  if (good(ws)) {
    console.log(`  white-studio delivered: ${(ws.outputs ?? []).filter((x) => x.node === 'deliver').map((x) => `${x.port} ${x.mime} ${x.width ?? '?'}×${x.height ?? '?'} ${fmt(x.bytes / 1024, 0)} KB`).join('; ') || '(no artifacts)'}`);
  }

  // Marketplace targets: the chain without the fidelity check (its CPU is the per-node sum), RSS of the whole graph.
  const mf = img.ours['marketplace-studio'];
  const mw = img.oursWorker['marketplace-studio'];
  let marketLine = 'marketplace-studio: not measured';
  if (good(mf) && good(mw)) {
    const ids = chainNodes(mw.nodeCpuMs);
    const fresh1 = chainCpuS(mf.nodeCpuMs);
    const fresh2 = chainCpuS(mf.warmNodeCpuMs);
    const worker1 = chainCpuS(mw.nodeCpuMs);
    const worker2 = chainCpuS(mw.warmNodeCpuMs);
    const rss = Math.max(mw.peakRssMb, mf.peakRssMb);
    const verdict = (v: number) => (v <= 0.6 ? 'met' : 'MISSED');
    console.log(`  marketplace chain ${ids.join(' → ')} (without fidelity, which took ${fmt(mw.nodeCpuMs?.fidelity ?? NaN, 0)} ms CPU):`);
    console.log(`    CPU, worker: ${fmt(worker1, 2)} s 1st job, ${fmt(worker2, 2)} s steady   target ≤ 0.6 s → ${verdict(worker1)} / ${verdict(worker2)}`);
    console.log(`    CPU, fresh process: ${fmt(fresh1, 2)} s 1st job (cold JIT), ${fmt(fresh2, 2)} s steady   → ${verdict(fresh1)} / ${verdict(fresh2)}`);
    console.log(`    peak RSS ${fmt(rss, 0)} MB (whole graph incl. fidelity and Node itself)   target ≤ 300 MB → ${rss <= 300 ? 'met' : 'MISSED'}`);
    marketLine =
      `marketplace-studio chain (segment → composite → colour → compliance → JPEG + WebP) on one core: CPU ${fmt(worker1, 2)} s 1st job / ${fmt(worker2, 2)} s steady on a started worker, ` +
      `${fmt(fresh1, 2)} s as a fresh process's first job (≤ 0.6 s target ${verdict(worker1)} on the worker, ${verdict(fresh1)} fresh); ` +
      `whole graph incl. fidelity ${fmt(nodeCpuS(mw.nodeCpuMs), 2)} s CPU; peak RSS ${fmt(rss, 0)} MB (≤ 300 MB target ${rss <= 300 ? 'met' : 'MISSED'})`;
  }

  if (imOk) {
    console.log(`  ImageMagick wrote: ${im.outputs.map((x) => `${x.file} ${fmt(x.bytes / 1024, 0)} KB`).join(', ')}`);
    console.log(`  ImageMagick command (the white-studio steps): convert ${imageMagickArgs('photo.jpg', '.').map((a) => (/[ ()>%]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  }
  const wf = img.ours['white-studio'];
  if (good(ws) && good(wf) && imOk) {
    const r = (o: number) => im.cpuS / o;
    const w1 = nodeCpuS(ws.nodeCpuMs), w2 = nodeCpuS(ws.warmNodeCpuMs), f1 = nodeCpuS(wf.nodeCpuMs), f2 = nodeCpuS(wf.warmNodeCpuMs);
    console.log(
      `  ratio IM/ours CPU, white-studio (same steps): worker 1st job ${fmt(r(w1), 2)}×, steady ${fmt(r(w2), 2)}×; ` +
        `fresh process 1st job ${fmt(r(f1), 2)}×, steady ${fmt(r(f2), 2)}× (target ≥ 5×); by run CPU: worker ${fmt(r(ws.cpuS), 2)}× / ${fmt(r(ws.warmCpuS!), 2)}×; ` +
        `peak RSS IM/ours ${fmt(im.peakRssMb / ws.peakRssMb, 2)}×`,
    );
    if (good(mw)) console.log(`  ratio IM/ours CPU, marketplace-studio (ours also colour-corrects, checks compliance and fidelity): ${fmt(im.cpuS / nodeCpuS(mw.nodeCpuMs), 2)}×`);
    summary.push(
      `image: 12 MP JPEG → white-studio (JPEG + WebP) on one core: ${fmt(w1, 2)} s / ${fmt(w2, 2)} s CPU (1st job / steady state on a started worker; ${fmt(f1, 2)} s as a fresh process's first job), ` +
        `${fmt(ws.peakRssMb, 0)} MB peak; ImageMagick ${fmt(im.cpuS, 2)} s CPU, ${fmt(im.peakRssMb, 0)} MB → ${fmt(r(w1), 1)}× / ${fmt(r(w2), 1)}× (fresh ${fmt(r(f1), 1)}×; target 5×)`,
    );
  } else {
    const parts = [good(ws) ? 'ours ran but ImageMagick was skipped' : 'ours skipped or failed'];
    if (imOk) parts.push(`ImageMagick alone: ${fmt(im.cpuS, 2)} s CPU, ${fmt(im.peakRssMb, 0)} MB peak`);
    summary.push(`image: ${parts.join('; ')}`);
  }
  summary.push(marketLine);
}

function printIou(r: IouResult, summary: string[]): void {
  const n = r.samples.length;
  const first = iouScene(0);
  console.log(`  scenes: makeProductPhoto around ${first.width}×${first.height} (also portrait, square, 16:9), every kind, palette and extra colours,`);
  console.log(`  noise 0–6, JPEG quality 60–95 or PNG, EXIF orientations 1/3/6/8; input-image → segment { method: classical };`);
  console.log(`  IoU of the mask (≥ 128) against the generator's mask, as nodes/src/segment/segment-quality.test.ts`);
  const kinds = [...new Set(r.samples.map((s) => s.kind))];
  const im = r.samples.every((s) => s.imIou !== undefined);
  const rows: Array<Array<string | number>> = [['kind', 'photos', 'mean IoU', 'min IoU', '≥ 0.95', 'segment ms p50', ...(im ? ['IM flood-fill mean', 'IM min'] : [])]];
  for (const k of [...kinds, 'all']) {
    const xs = r.samples.filter((s) => k === 'all' || s.kind === k);
    const ms = xs.map((s) => s.segmentMs).sort((a, b) => a - b);
    const imCols = im ? [fmt(sum(xs.map((s) => s.imIou!)) / xs.length, 4), fmt(Math.min(...xs.map((s) => s.imIou!)), 4)] : [];
    rows.push([k, String(xs.length), fmt(sum(xs.map((s) => s.iou)) / xs.length, 4), fmt(Math.min(...xs.map((s) => s.iou)), 4), `${xs.filter((s) => s.iou >= 0.95).length}/${xs.length}`, fmt(ms[Math.floor((ms.length - 1) / 2)], 0), ...imCols]);
  }
  if (im) console.log(`  IM flood-fill: the same photos through ImageMagick's background removal in the white-studio comparison (fuzz 12 % from the corner)`);
  else console.log(`  (ImageMagick not installed: its flood-fill mask is not compared)`);
  console.log(table(rows));
  const worst = [...r.samples].sort((a, b) => a.iou - b.iou).slice(0, 5);
  console.log(`  lowest: ${worst.map((s) => `${s.label}: ${fmt(s.iou, 3)}`).join('; ')}`);
  const ok = r.mean >= 0.95;
  console.log(`  mean ${fmt(r.mean, 4)}, median ${fmt(r.median, 4)}, min ${fmt(r.min, 4)}, ${r.atLeast95}/${n} (${fmt((100 * r.atLeast95) / n, 0)} %) ≥ 0.95; ${fmt(r.seconds, 1)} s   target mean ≥ 0.95 → ${ok ? 'met' : 'MISSED'}`);
  const imMean = r.samples.every((s) => s.imIou !== undefined) ? sum(r.samples.map((s) => s.imIou!)) / n : undefined;
  if (imMean !== undefined) console.log(`  ImageMagick flood-fill on the same photos: mean IoU ${fmt(imMean, 4)}, min ${fmt(Math.min(...r.samples.map((s) => s.imIou!)), 4)}`);
  summary.push(
    `segmentation (classical) on ${n} generated product photos (~1200×900, known masks): mean IoU ${fmt(r.mean, 4)}, median ${fmt(r.median, 4)}, min ${fmt(r.min, 4)}, ` +
      `${r.atLeast95}/${n} ≥ 0.95 (${ok ? 'meets' : 'MISSES'} the mean ≥ 0.95 target)` +
      (imMean !== undefined ? `; ImageMagick's fuzz flood-fill on the same photos: mean IoU ${fmt(imMean, 4)}` : ''),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

function printGeneration(g: GenerationResult, summary: string[]): void {
  const o = g.options;
  const ok = g.runs.filter((r) => r.status === 'completed').length;
  console.log(`  graph: templates/ai-scene.json's ${'input → segment → prompt (compose-prompt) → generate (seedream)'}; ${o.runs} distinct 480×360 photos,`);
  console.log(`  one title per run; startRun for all at once (as the API does), one worker process (CPU concurrency ${o.cpuConcurrency}, cloud ${o.cloudConcurrency},`);
  console.log(`  launched as npm start launches workers, warmUpProductNodes first); the stand-in answers each prediction after a seeded-random`);
  console.log(`  ${o.latencyMs[0] / 1000}–${o.latencyMs[1] / 1000} s with a ${o.outputSide}² PNG; the provider polls (0.5 s backoff to 5 s), as against Replicate.`);
  const walls = stats(g.runs.map((r) => r.wallMs));
  console.log(`  ${ok}/${g.runs.length} runs completed in ${fmt(g.wallMs / 1000, 1)} s wall; per run ${fmt(walls.p50 / 1000, 2)} s p50, ${fmt(walls.p95 / 1000, 2)} s p95, ${fmt(walls.max / 1000, 2)} s max`);
  console.log(`  predictions created ${g.predictionsCreated} for ${g.runs.length} runs (one each expected); create requests answered 429: ${g.throttled}`);

  const waiting = g.samples.filter((s) => s.predictionsWaiting > 0);
  const peakWaiting = Math.max(0, ...g.samples.map((s) => s.predictionsWaiting));
  const generationOnCpu = Math.max(0, ...waiting.map((s) => s.generationOnCpu));
  console.log(`  slots (${g.samples.length} samples every 200 ms): up to ${peakWaiting} predictions waiting at once, on up to ${Math.max(0, ...g.samples.map((s) => s.cloudActive))} cloud jobs,`);
  console.log(`    while the CPU queue ran the other runs' input/segment/prompt (up to ${Math.max(0, ...waiting.map((s) => s.cpuActive))} active CPU jobs, ${o.cpuConcurrency} executing);`);
  console.log(`    CPU slots held by generation jobs: ${generationOnCpu} (max over the ${waiting.length} samples with predictions waiting)`);
  console.log(`  worker RSS after each batch (VmHWM, MB): ${g.peakRssAfterBatchMb.map((x) => fmt(x, 0)).join(', ')}`);

  const over = (runs: GenerationRun[], pick: (r: GenerationRun) => number[]) => stats(runs.flatMap(pick).filter(Number.isFinite));
  const per = (pick: (r: GenerationRun) => number[]) => over(g.runs, pick);
  const gapsOf = (id: string) => per((r) => r.nodes.filter((n) => n.nodeId === id).map((n) => n.toQueuedMs + n.queuedToStartMs));
  const rows: Array<Array<string | number>> = [['where (ms)', 'batch p50', 'p95', 'max', 'one at a time p50', 'p95']];
  const row = (name: string, pick: (r: GenerationRun) => number[]) => {
    const b = over(g.runs, pick);
    const i = over(g.idleRuns, pick);
    rows.push([name, fmt(b.p50, 1), fmt(b.p95, 1), fmt(b.max, 1), fmt(i.p50, 1), fmt(i.p95, 1)]);
  };
  const ofNode = (id: string, f: (n: GenerationRun['nodes'][number]) => number) => (r: GenerationRun) => r.nodes.filter((n) => n.nodeId === id).map(f);
  for (const id of ['input', 'segment', 'prompt', 'generate']) {
    row(`${id}: ${id === 'input' ? 'run created' : 'upstream done'} → job queued`, ofNode(id, (n) => n.toQueuedMs));
    row(`${id}: queued → started`, ofNode(id, (n) => n.queuedToStartMs));
    row(`${id}: node's own time`, ofNode(id, (n) => n.durationMs));
  }
  row('last node done → run completed', (r) => [r.finishMs]);
  row('prediction at the stand-in', (r) => [r.predictionLatencyMs]);
  row('prediction done → a poll saw it', (r) => [r.pollDelayMs]);
  row('poll saw it → generate done (download, decode, store)', (r) => [r.downloadStoreMs]);
  console.log(table(rows));

  // Orchestration per node: the gaps the runtime adds (commit, decide, enqueue, pick-up) where no CPU slot is awaited.
  const cloudGap = gapsOf('generate');
  const finish = per((r) => [r.finishMs]);
  const overheadPerNode = g.runs.map((r) => {
    const nodeTime = r.nodes.reduce((a, n) => a + n.durationMs, 0);
    return (r.wallMs - nodeTime) / (r.nodes.length || 1);
  });
  const oh = stats(overheadPerNode);
  console.log(`  orchestration into the cloud node (prompt done → generate started, no CPU slot awaited): p50 ${fmt(cloudGap.p50, 1)} ms, p95 ${fmt(cloudGap.p95, 1)} ms; after it (→ run completed): p50 ${fmt(finish.p50, 1)} ms, p95 ${fmt(finish.p95, 1)} ms`);
  console.log(`  (run wall − nodes' own time) / nodes: p50 ${fmt(oh.p50, 1)} ms, p95 ${fmt(oh.p95, 1)} ms per node (includes waiting for the ${o.cpuConcurrency} CPU slots while ${o.runs} runs arrive at once)`);
  // The same gaps with one run at a time: the runtime's own share, with no queue in front of it.
  const idleGaps = over(g.idleRuns, (r) => [...r.nodes.map((n) => n.toQueuedMs + n.queuedToStartMs), r.finishMs]);
  const idlePerNode = over(g.idleRuns, (r) => [(r.nodes.reduce((a, n) => a + n.toQueuedMs + n.queuedToStartMs, 0) + r.finishMs) / (r.nodes.length || 1)]);
  console.log(`  one run at a time (${g.idleRuns.length} runs, 2 s predictions): every gap (upstream done → node started, last node → run completed) p50 ${fmt(idleGaps.p50, 1)} ms, p95 ${fmt(idleGaps.p95, 1)} ms;`);
  console.log(`    per node per run p50 ${fmt(idlePerNode.p50, 1)} ms, p95 ${fmt(idlePerNode.p95, 1)} ms; poll delay ${g.idleRuns.map((r) => fmt(r.pollDelayMs, 0)).join(' / ')} ms`);
  const okGap = idlePerNode.p50 <= 5;
  console.log(`  target: orchestration ≤ 5 ms per node → ${okGap ? 'met' : 'MISSED'} (one run at a time, p50); under the 200-run load see the cloud node's gaps above`);
  const rssTrack: string[] = [];
  for (let at = 0; at <= g.wallMs; at += 5000) {
    const s = g.samples.filter((x) => x.atMs >= at && x.atMs < at + 5000);
    if (s.length) rssTrack.push(`${fmt(at / 1000, 0)} s ${fmt(Math.max(...s.map((x) => x.workerRssMb)), 0)}`);
  }
  console.log(`  worker RSS: ${fmt(g.workerRssMb.afterWarmUp, 0)} MB after warm-up, peak ${fmt(g.workerRssMb.peak, 0)} MB (VmHWM), ${fmt(g.workerRssMb.atEnd, 0)} MB at the end`);
  console.log(`    max per 5 s of the batch (MB): ${rssTrack.join(', ')}`);
  const poll = per((r) => [r.pollDelayMs]);
  summary.push(
    `generation: ${g.runs.length} AI scene generations at once (predictions 2–10 s at a stand-in): ${ok} completed in ${fmt(g.wallMs / 1000, 1)} s, ` +
      `${g.predictionsCreated} predictions; up to ${peakWaiting} waiting at once, ${generationOnCpu} CPU slots held by them (CPU concurrency ${o.cpuConcurrency}); ` +
      `orchestration per node ${fmt(idlePerNode.p50, 1)} ms p50 one run at a time (≤ 5 ms target ${okGap ? 'met' : 'MISSED'}), under the batch into/after the cloud node p50 ${fmt(cloudGap.p50, 0)}/${fmt(finish.p50, 0)} ms; ` +
      `polling adds p50 ${fmt(poll.p50, 0)} ms after a prediction ends; worker peak RSS ${fmt(g.workerRssMb.peak, 0)} MB`,
  );
}

function printStorageGrowth(r: StorageGrowthResult, summary: string[]): void {
  const mb = (b: number) => fmt(b / 1e6, 2);
  console.log(table([
    ['photo', 'MB level 0 (before)', 'MB level 1', 'MB default (after)', 'after / before', 'CPU s level 0', 'CPU s level 1', 'CPU s default'],
    ...r.shoots.map((s) => [
      s.photo, mb(s.beforeBytes), mb(s.level1Bytes), mb(s.afterBytes), fmt(s.afterBytes / s.beforeBytes, 2),
      fmt(s.beforeCpuMs / 1000, 2), fmt(s.level1CpuMs / 1000, 2), fmt(s.afterCpuMs / 1000, 2),
    ]),
  ]));
  console.log('  MB: the store after one shoot, upload included; CPU s: process CPU of the shoot, the median of 3 (after one warm-up shoot), sharp on one thread');
  for (const s of r.shoots) console.log(`  after, by node (${s.photo}): ${Object.entries(s.afterByNode).map(([id, b]) => `${id} ${mb(b)} MB`).join(', ')}`);
  const before = r.shoots.reduce((sum, s) => sum + s.beforeBytes, 0);
  const after = r.shoots.reduce((sum, s) => sum + s.afterBytes, 0);
  const msBefore = r.shoots.reduce((sum, s) => sum + s.beforeCpuMs, 0);
  const msAfter = r.shoots.reduce((sum, s) => sum + s.afterCpuMs, 0);
  const g = r.gc;
  console.log(`  collector: ${g.artifacts} expired artifacts beside ${g.liveRuns} replayable runs (4 outputs each): mark ${fmt(g.markMs, 0)} ms, sweep ${fmt(g.sweepMs, 0)} ms (${fmt(g.deleted / (g.sweepMs / 1000), 0)} deletions/s, ${mb(g.bytesFreed)} MB)`);
  summary.push(
    `storage: a white-studio shoot stores ${fmt(after / before, 2)}× the bytes of PNG level 0 intermediates (${mb(after / r.shoots.length)} vs ${mb(before / r.shoots.length)} MB mean), ` +
      `shoot CPU ${fmt(msAfter / msBefore, 2)}×; the collector deletes ${fmt(g.deleted / (g.sweepMs / 1000), 0)} artifacts/s (local store)`,
  );
}
