import { copyFile, mkdtemp, readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { openArtifactStore } from '@studioflow/runtime/artifacts';
import { serviceEnv } from '@studioflow/runtime/config';
import { isArtifactRef, type ArtifactRef } from '@studioflow/runtime/contract';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { runGraphLocally } from '@studioflow/runtime/local';
import { GraphInvalidError } from '@studioflow/runtime/scheduler';
import { costRatesFromEnv } from '@studioflow/runtime/worker/cost-meter';
import { createProductCatalog } from '@studioflow/nodes';
import { DEFAULT_BUDGET_MB, GpuRuntime, slotDevices } from '@studioflow/gpu-runtime';
import { ProgressView } from './progress-view';
import { MODELS_USAGE, modelsCommand } from './models/models-command';
import { checkOutputRequests, takeOutputFlags, UsageError, writeOutputs, type OutputRequest } from './output-flags';

const USAGE = `usage: studioflow run <graph-or-template.json> --input <photo> [--out <out.jpg|.webp|.png>] [--output <node>.<port> [file]]... [--storage <dir>]
Runs a pipeline in-process with the same nodes as the workers: no PostgreSQL, no Redis.
  --out      the shot (the final image), converted to the file's format
  --output   any node's output, e.g. --output segment.mask mask.png --output segment.cutout; repeatable
  --storage  the artifact folder (without it, STORAGE_URL chooses the artifact store when set, else a temp folder)
${MODELS_USAGE}`;

/** Entry of `npx studioflow`. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'models') return modelsCommand(argv.slice(1));
  let taken: { rest: string[]; outputs: OutputRequest[] };
  try {
    taken = takeOutputFlags(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  const requested = taken.outputs;
  const { values, positionals } = parseArgs({
    args: taken.rest,
    allowPositionals: true,
    options: { input: { type: 'string', short: 'i' }, out: { type: 'string', short: 'o' }, storage: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
  });
  const [command, graphPath] = positionals;
  if (command !== 'run' || !graphPath || !values.input || (!values.out && requested.length === 0)) {
    console.error(USAGE);
    return 2;
  }
  const file = JSON.parse(await readFile(resolve(graphPath), 'utf8')) as GraphDoc | { graph: GraphDoc };
  const doc = 'graph' in file ? file.graph : file;
  const catalog = createProductCatalog();
  try {
    checkOutputRequests(doc, catalog.descriptors, requested);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message);
    return 2;
  }
  // --storage names a folder; else STORAGE_URL (e.g. the platform's object store); else a fresh temp folder.
  const folder = values.storage ? resolve(values.storage) : process.env.STORAGE_URL?.trim() ? undefined : await mkdtemp(join(tmpdir(), 'studioflow-'));
  const store = openArtifactStore({ ...serviceEnv(), ...(folder ? { storageUrl: pathToFileURL(folder).href, storageDir: folder } : {}) });
  const photo = await readFile(resolve(values.input));
  const upload = await store.put(photo, { mime: 'application/octet-stream' });
  const view = new ProgressView(doc.nodes.map((n) => n.id), !values.quiet && process.stderr.isTTY === true);
  // One slot of the GPU runtime in process: a configured model loads on first use (never otherwise).
  const gpu = new GpuRuntime({ devices: slotDevices().slice(0, 1), budgetBytes: DEFAULT_BUDGET_MB * 2 ** 20, models: [], log: cliLog });
  try {
    const result = await runGraphLocally(doc, {
      catalog,
      artifacts: store,
      seeds: { upload },
      models: gpu.slots.pools[0],
      costRates: costRatesFromEnv(),
      onEvent: (e) => view.update(e),
      // An asked-for output of an inner node (the mask) is only made when the run wants every output.
      ...(requested.length ? { materialize: 'all' as const } : {}),
    });
    view.done();
    // What the run produced is written even when it failed later: the mask explains a bad shot.
    const { written, missing } = await writeOutputs(requested, (id) => result.snapshot.nodes[id]?.outputs, (hash) => store.localPath(hash));
    for (const line of written) console.log(line);
    if (result.error) {
      console.error(`run failed: ${result.error}`);
      return 1;
    }
    if (missing.length) {
      console.error(`not produced: ${missing.join(', ')}`);
      return 1;
    }
    if (!values.out) return 0;
    const ref = pickOutput(result.outputs, extname(values.out).toLowerCase());
    if (!ref) {
      console.error('the graph produced no image output');
      return 1;
    }
    const wanted = mimeFor(extname(values.out).toLowerCase());
    const path = await store.localPath(ref.hash);
    if (ref.mime === wanted) await copyFile(path, resolve(values.out));
    else await sharp(path).toFormat(wanted === 'image/png' ? 'png' : wanted === 'image/webp' ? 'webp' : 'jpeg').toFile(resolve(values.out));
    const bytes = (await stat(resolve(values.out))).size;
    console.log(`${values.out} (${ref.width ?? '?'}×${ref.height ?? '?'}, ${wanted}, ${(bytes / 1024).toFixed(0)} KiB, cost $${result.costUsd.toFixed(6)})`);
    return 0;
  } catch (err) {
    view.done();
    if (err instanceof GraphInvalidError) {
      console.error('the graph is invalid:');
      for (const p of err.problems) console.error(`  - ${p.nodeId ? `[${p.nodeId}${p.port ? `.${p.port}` : ''}] ` : ''}${p.message}`);
      return 1;
    }
    throw err;
  } finally {
    await gpu.close();
  }
}

/** Model loads and the CUDA fallback, on stderr so the output line stays alone on stdout. */
const cliLog = {
  info: (msg: string, extra?: Record<string, unknown>) => console.error(`${msg}${extra ? ` ${JSON.stringify(extra)}` : ''}`),
  warn: (msg: string, extra?: Record<string, unknown>) => console.error(`warning: ${msg}${extra ? ` ${JSON.stringify(extra)}` : ''}`),
  error: (msg: string, extra?: Record<string, unknown>) => console.error(`error: ${msg}${extra ? ` ${JSON.stringify(extra)}` : ''}`),
};

function mimeFor(ext: string): string {
  return ext === '.webp' ? 'image/webp' : ext === '.png' ? 'image/png' : 'image/jpeg';
}

/** Chooses the sink output matching the requested extension (jpeg/webp/png), else the first image. */
function pickOutput(outputs: Record<string, Record<string, unknown>>, ext: string): ArtifactRef | undefined {
  const refs = Object.values(outputs).flatMap((ports) => Object.entries(ports)).filter(([, v]) => isArtifactRef(v)) as Array<[string, ArtifactRef]>;
  const wanted = mimeFor(ext);
  return (refs.find(([port, r]) => r.mime === wanted && port !== 'thumbnail') ?? refs.find(([, r]) => r.mime === wanted) ?? refs[0])?.[1];
}
