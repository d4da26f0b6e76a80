/**
 * npm run bench: one report from one run.
 *   1. throughput: our runtime vs raw BullMQ (chains and diamond DAGs)
 *   2. latency: added scheduling latency per node over raw BullMQ
 *   3. image path: white-studio graph on a 12 MP JPEG vs ImageMagick
 * Env: BENCH_SECTIONS=throughput,latency,image (default all), BENCH_RUNS (default 500),
 *      BENCH_REPS (default 3), REDIS_URL, BENCH_KEEP_IMAGES=1 (keep the image outputs).
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chainShape, describeShape, diamondShape, type BenchShape } from './graphs';
import { imageMagickArgs } from './imagemagick';
import { runImagePath, type ImagePathResult } from './image-path';
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
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'throughput,latency,image').split(','));
const ROOT = resolve(__dirname, '../../..');

interface SchedulingResults {
  /** Per shape: [raw, ours, raw with auto-pipelining], each the median of REPS repetitions. */
  throughput: ThroughputResult[][];
  latency?: [LatencyResult, LatencyResult];
  creditsNote: string;
}

/**
 * Both sides are started up front and measured alternately (raw, ours, raw, ours, …) so slow drift
 * of the machine (other tenants, autovacuum, page cache) hits both alike. An idle side costs nothing
 * measurable: its BullMQ worker sits in a blocking BZPOPMIN.
 */
async function benchScheduling(shapes: BenchShape[], chain: BenchShape): Promise<SchedulingResults> {
  const raw = new RawSide(REDIS_URL, CONCURRENCY);
  const ours = new OursSide(REDIS_URL, CONCURRENCY, noopCatalog());
  // Diagnostic third side: raw BullMQ on connections configured like the runtime's createRedis.
  const rawAuto = new RawSide(REDIS_URL, CONCURRENCY, true);
  const sides: BenchSide[] = [raw, ours, rawAuto];
  const out: SchedulingResults = { throughput: [], creditsNote: '' };
  process.stdout.write('  starting both sides… ');
  try {
    for (const side of sides) await side.start();
    // Warm-up (JIT, pools, Lua scripts, caches): not reported.
    for (const s of shapes) for (const side of sides) await side.runBatch(s, Math.min(WARMUP_RUNS, RUNS));
    process.stdout.write('warm… ');
    if (SECTIONS.has('throughput')) {
      const reps = shapes.map(() => sides.map(() => [] as ThroughputResult[]));
      for (let rep = 0; rep < REPS; rep++) {
        for (const [i, s] of shapes.entries()) for (const [k, side] of sides.entries()) reps[i][k].push(await measureThroughput(side, s, RUNS));
        process.stdout.write(`rep ${rep + 1}/${REPS}… `);
      }
      out.throughput = reps.map((perSide) => perSide.map(medianOf));
    }
    if (SECTIONS.has('latency')) {
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
  if (SECTIONS.has('throughput') || SECTIONS.has('latency')) {
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
    sched = await benchScheduling(shapes, chain);
  }

  if (sched && sched.throughput.length) {
    heading('1. Throughput (node executions per second, higher is better)');
    const rows: Array<Array<string | number>> = [['shape', 'side', 'runs', 'executions', 'seconds', 'exec/s', `all ${REPS} reps`, 'ours/raw']];
    for (const [i, s] of shapes.entries()) {
      const [r, o, ra] = sched.throughput[i];
      const reps = (t: ThroughputResult) => (t.rates ?? []).map((x) => fmt(x)).join(' / ');
      rows.push([s.name, 'raw BullMQ', r.runs, r.executions, fmt(r.seconds, 2), r.rate, reps(r), '']);
      rows.push([s.name, 'ours', o.runs, o.executions, fmt(o.seconds, 2), o.rate, reps(o), `${fmt(o.rate / r.rate, 2)}×`]);
      rows.push([s.name, '(raw + auto-pipelining)', ra.runs, ra.executions, fmt(ra.seconds, 2), ra.rate, reps(ra), `(${fmt(ra.rate / r.rate, 2)}×)`]);
      const ok = o.rate / r.rate >= 0.4 ? 'meets' : 'MISSES';
      summary.push(`${s.name === 'chain-10' ? 'chains  ' : 'diamonds'} ${RUNS}×10 nodes: ${fmt(o.rate)} node exec/s vs raw BullMQ ${fmt(r.rate)}/s = ${fmt(o.rate / r.rate, 2)}× (${ok} the 0.4× target)`);
    }
    console.log(table(rows));
    const failed = sched.throughput.reduce((n, [, o]) => n + o.failed, 0);
    console.log(`  ours: ${failed} runs failed; ${sched.creditsNote}`);
    console.log('  (raw + auto-pipelining) = raw BullMQ on ioredis with enableAutoPipelining: true, as runtime createRedis sets it:');
    console.log('  a diagnostic row, not a target; the ratio in brackets is against plain raw BullMQ.');
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

  if (SECTIONS.has('image')) {
    heading('3. Image path: 12 MP JPEG → white-studio graph vs ImageMagick (one core)');
    const img = await runImagePath(join(ROOT, 'templates/white-studio.json'), join(__dirname, 'image-child.js'));
    printImage(img, summary);
  }

  heading('Summary (paste into the release note)');
  console.log(`  Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version},`);
  console.log(`  Redis + PostgreSQL on loopback; one worker process per side, concurrency ${CONCURRENCY}.`);
  for (const line of summary) console.log(`  - ${line}`);
  console.log(`\n  (bench took ${fmt((performance.now() - started) / 1000, 1)} s; load average at start ${fmt(load0, 2)}, at end ${fmt(loadavg()[0], 2)})`);
}

function printImage(img: ImagePathResult, summary: string[]): void {
  console.log(`  photo: ${img.photo.width}×${img.photo.height} JPEG, ${fmt(img.photo.bytes / 1e6, 2)} MB (makeProductPhoto seed 7)`);
  const rows: Array<Array<string | number>> = [['side', 'CPU s', 'wall s', 'peak RSS MB', 'how']];
  const o = img.ours;
  let oursOk = false;
  if ('skipped' in o && o.skipped) {
    console.log(`  ours: skipped: ${o.skipped}`);
  } else if ('error' in o && o.error) {
    console.log(`  ours: FAILED: ${o.error}`);
  } else if ('cpuS' in o && o.cpuS !== undefined) {
    oursOk = true;
    rows.push(['ours (runGraphLocally, sharp 1 thread)', fmt(o.cpuS, 2), fmt(o.wallS!, 2), fmt(o.peakRssMb!, 0), 'in-process cpuUsage, maxRSS; taskset -c 0']);
    if (o.warmWallS !== undefined) rows.push(['ours, 2nd run same process (warm)', fmt(o.warmCpuS!, 2), fmt(o.warmWallS, 2), '', '']);
    if (o.process) rows.push(['ours, whole child process', fmt(o.process.cpuS, 2), fmt(o.process.wallS, 2), fmt(o.process.peakRssMb, 0), 'incl. Node start + 2 runs']);
  }
  const im = img.im;
  let imOk = false;
  if ('skipped' in im) console.log(`  ImageMagick: skipped: ${im.skipped}`);
  else {
    imOk = true;
    rows.push(['ImageMagick 6 (convert, 1 thread)', fmt(im.cpuS, 2), fmt(im.wallS, 2), fmt(im.peakRssMb, 0), `${im.method}; taskset -c 0`]);
  }
  if (rows.length > 1) console.log(table(rows));
  if (oursOk && 'cpuS' in o && o.nodeMs) {
    console.log(`  ours per node (ms): ${Object.entries(o.nodeMs).map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', ')}`);
    console.log(`  ours delivered: ${(o.outputs ?? []).map((x) => `${x.node}.${x.port} ${x.mime} ${x.width ?? '?'}×${x.height ?? '?'} ${fmt(x.bytes / 1024, 0)} KB`).join('; ') || '(no artifacts)'}`);
  }
  if (imOk && !('skipped' in im)) {
    console.log(`  ImageMagick wrote: ${im.outputs.map((x) => `${x.file} ${fmt(x.bytes / 1024, 0)} KB`).join(', ')}`);
    console.log(`  ImageMagick command: convert ${imageMagickArgs('photo.jpg', '.').map((a) => (/[ ()>%]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  }
  if (oursOk && imOk && 'cpuS' in o && !('skipped' in im)) {
    const wall = im.wallS / o.wallS!;
    const cpu = im.cpuS / o.cpuS!;
    const rss = im.peakRssMb / o.peakRssMb!;
    console.log(`  ratio IM/ours: wall ${fmt(wall, 2)}×, CPU ${fmt(cpu, 2)}×, peak RSS ${fmt(rss, 2)}×`);
    summary.push(
      `image: 12 MP JPEG → white-studio (JPEG + WebP) on one core: ${fmt(o.wallS!, 2)} s wall, ${fmt(o.cpuS!, 2)} s CPU, ${fmt(o.peakRssMb!, 0)} MB peak; ` +
        `ImageMagick ${fmt(im.wallS, 2)} s, ${fmt(im.peakRssMb, 0)} MB → ${fmt(wall, 1)}× faster`,
    );
  } else {
    const parts = [oursOk ? 'ours ran but ImageMagick was skipped' : 'ours skipped (nodes not built)'];
    if (imOk && !('skipped' in im)) parts.push(`ImageMagick alone: ${fmt(im.wallS, 2)} s wall, ${fmt(im.peakRssMb, 0)} MB peak`);
    summary.push(`image: ${parts.join('; ')}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
