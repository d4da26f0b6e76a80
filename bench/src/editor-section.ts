import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@studioflow/server/dist/test/support/browser';
import {
  bigGraph,
  measurePanZoom,
  SIGN_IN_READY,
  waitEditorLoad,
  watchEditorLoad,
  type EditorLoad,
  type PanZoom,
} from '@studioflow/server/dist/test/support/editor-perf';
import { benchStack, freePort, until } from './batch-section';
import { fmt, table } from './table';

/**
 * The web apps in Debian's Chromium (headless, --disable-gpu) against the real API serving the build:
 * first loads of the editor (`/`) and the shoot app (`/app`, at a phone's viewport) on a throttled
 * network, each in a fresh browser context (nothing cached), in four variants measured alternately:
 * the whole front end as one chunk and as split chunks, each sent uncompressed and compressed. The
 * one-chunk build is made here (Vite, everything in one group, no precompressed files: the API
 * compresses it on the fly). Then a 300-node graph's first render and pan/zoom frame rate.
 */
export interface EditorSectionOptions {
  root: string;
  redisUrl: string;
  reps: number;
  /** The throttled network of the first loads. */
  network: { downloadMbps: number; rttMs: number };
}

export type Variant = 'one chunk, uncompressed' | 'one chunk, compressed' | 'split, uncompressed' | 'split, compressed';
export const VARIANTS: Variant[] = ['one chunk, uncompressed', 'one chunk, compressed', 'split, uncompressed', 'split, compressed'];

export interface AppLoads {
  app: 'editor' | 'shoot app';
  path: string;
  viewport: { width: number; height: number };
  /** Per variant, every repetition. */
  loads: Record<Variant, EditorLoad[]>;
}

export interface EditorSectionResult {
  network: EditorSectionOptions['network'];
  apps: AppLoads[];
  graph: { nodes: number; loads: EditorLoad[]; panZoom: PanZoom[] };
}

const STAFF_KEY = process.env.STUDIOFLOW_STAFF_KEY ?? 'sf_staff_dev';
const GRAPH_NODES = 300;

export async function runEditorSection(o: EditorSectionOptions): Promise<EditorSectionResult> {
  const splitDir = join(o.root, 'editor/dist');
  if (!existsSync(join(splitDir, 'index.html'))) throw new Error(`${splitDir}/index.html is missing: build the editor first (npm run build -w editor)`);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  const oneChunkDir = await mkdtemp(join(tmpdir(), 'sf-editorbench-onechunk-'));
  const { db, storage, env: stack } = await benchStack('editor', o.redisUrl);
  const children: ChildProcess[] = [];
  let browser: Browser | undefined;
  try {
    await buildOneChunk(o.root, oneChunkDir);
    const env = { ...stack, TEMPLATE_PREVIEWS: 'off', RATE_LIMIT_READ_PER_MINUTE: '1000000' };
    // Two API processes on the same database: one serves the split build, one the one-chunk build.
    const startApi = async (editorDir: string, port: number) => {
      const child = spawn(process.execPath, [join(o.root, 'server/dist/src/main.js')], { env: { ...env, PORT: String(port), EDITOR_DIR: editorDir }, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      const origin = `http://127.0.0.1:${port}`;
      await until(async () => (await fetch(`${origin}/api/health/ready`).catch(() => null))?.status === 200, 120_000, `the API on ${port}`);
      return origin;
    };
    const split = await startApi(splitDir, Number(stack.PORT));
    const oneChunk = await startApi(oneChunkDir, await freePort());
    const origins: Record<Variant, string> = {
      'one chunk, uncompressed': oneChunk,
      'one chunk, compressed': oneChunk,
      'split, uncompressed': split,
      'split, compressed': split,
    };

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const apps: AppLoads[] = [
      { app: 'editor', path: '/', viewport: { width: 1440, height: 900 }, loads: emptyLoads() },
      { app: 'shoot app', path: '/app', viewport: { width: 390, height: 844 }, loads: emptyLoads() },
    ];
    // One warm-up load per origin (server-side caches, Chromium's first start), not reported.
    for (const origin of [split, oneChunk]) await firstLoad(browser, `${origin}/`, apps[0], o.network, true);
    for (let rep = 0; rep < o.reps; rep++) {
      for (const app of apps) {
        // Alternate the order so drift of the shared machine hits every variant alike.
        const order = rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
        for (const v of order) app.loads[v].push(await firstLoad(browser, `${origins[v]}${app.path}`, app, o.network, v.endsWith(', compressed')));
      }
      process.stdout.write(`rep ${rep + 1}/${o.reps}… `);
    }

    const created = await fetch(`${split}/api/graphs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${STAFF_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `bench ${GRAPH_NODES} nodes`, draft: bigGraph(GRAPH_NODES) }),
    });
    if (created.status !== 201) throw new Error(`creating the ${GRAPH_NODES}-node graph answered ${created.status}: ${await created.text()}`);
    const graphId = ((await created.json()) as { id: string }).id;
    const graph: EditorSectionResult['graph'] = { nodes: GRAPH_NODES, loads: [], panZoom: [] };
    for (let rep = 0; rep < Math.max(2, Math.ceil(o.reps / 2)); rep++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      await watchEditorLoad(page, GRAPH_NODES);
      await page.goto(`${split}/#graph=${graphId}`);
      graph.loads.push(await waitEditorLoad(page, { nodeCount: GRAPH_NODES, graphId }));
      await page.waitForTimeout(400);
      graph.panZoom.push(await measurePanZoom(page));
      await context.close();
    }
    return { network: o.network, apps, graph };
  } finally {
    await browser?.close().catch(() => undefined);
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    await db.drop().catch(() => undefined);
    await rm(storage, { recursive: true, force: true });
    await rm(oneChunkDir, { recursive: true, force: true });
  }
}

function emptyLoads(): Record<Variant, EditorLoad[]> {
  return Object.fromEntries(VARIANTS.map((v) => [v, []])) as unknown as Record<Variant, EditorLoad[]>;
}

/** One first visit in a fresh context (empty cache) on the throttled network; `compressed: false` asks for identity. */
async function firstLoad(browser: Browser, url: string, app: AppLoads, network: EditorSectionOptions['network'], compressed: boolean): Promise<EditorLoad> {
  const context = await browser.newContext({ viewport: app.viewport });
  try {
    const page: Page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: network.rttMs,
      downloadThroughput: (network.downloadMbps * 1e6) / 8,
      uploadThroughput: (network.downloadMbps * 1e6) / 8 / 3,
    });
    if (!compressed) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'identity' } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => void (msg.type() === 'error' && errors.push(msg.text())));
    page.on('response', (res) => void (res.status() >= 400 && errors.push(`${res.status()} ${res.url()}`)));
    await watchEditorLoad(page, 0, app.app === 'editor' ? undefined : SIGN_IN_READY);
    await page.goto(url);
    const load = await waitEditorLoad(page, { timeoutMs: 60_000 }).catch((err: Error) => {
      throw new Error(`${url}: ${err.message}; page errors: ${errors.join(' | ') || 'none'}`);
    });
    if (!compressed && load.transfer.codeEncodedBytes < load.transfer.codeDecodedBytes) throw new Error(`asked for identity at ${url}, got compressed code`);
    return load;
  } finally {
    await context.close();
  }
}

/** The same sources built as one chunk (every module in one group), without precompressed copies. */
async function buildOneChunk(root: string, outDir: string): Promise<void> {
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  const editor = join(root, 'editor');
  await build({
    configFile: false,
    root: editor,
    logLevel: 'warn',
    plugins: [react()],
    resolve: { alias: { '@studioflow/runtime/graph': join(root, 'runtime/src/graph/index.ts') } },
    build: {
      outDir,
      emptyOutDir: true,
      chunkSizeWarningLimit: 5000,
      rollupOptions: {
        input: { editor: join(editor, 'index.html'), app: join(editor, 'app/index.html'), review: join(editor, 'review/index.html') },
        // Each module runs only when its app imports it (the chunk holds all three apps' entry modules).
        output: { codeSplitting: { groups: [{ name: 'bundle', test: /./ }] }, strictExecutionOrder: true },
      },
    },
  });
}

/** Budgets, each checked on the shipped variant (split, compressed) and printed as pass/fail. */
export const BUDGETS = {
  /** Editor: palette and canvas drawn, first visit on the throttled network. */
  editorMeaningfulPaintMs: 1500,
  /** Editor: scripts and stylesheets as transferred on a first visit. */
  editorCodeKB: 260,
  /** Shoot app on a phone: scripts and stylesheets as transferred, and the first contentful paint. */
  shootAppCodeKB: 110,
  shootAppFcpMs: 1000,
  /** 300 nodes: the graph's answer → every node drawn; frame rate while panning and zooming. */
  graphRenderMs: 1000,
  panZoomFps: 50,
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const kB = (bytes: number) => bytes / 1024;

export function printEditor(r: EditorSectionResult, summary: string[]): void {
  const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  const budgetLines: string[] = [];
  for (const app of r.apps) {
    console.log(`\n  ${app.app} (${app.path}, ${app.viewport.width}×${app.viewport.height}), first visit, ${r.network.downloadMbps} Mbit/s, ${r.network.rttMs} ms RTT; medians of ${app.loads['split, compressed'].length}`);
    const rows: Array<Array<string | number>> = [['variant', 'code kB sent', 'code kB decoded', 'all kB sent', 'requests', 'FCP ms', 'ready ms', 'LCP ms']];
    for (const v of VARIANTS) {
      const l = app.loads[v];
      rows.push([
        v,
        kB(median(l.map((x) => x.transfer.codeEncodedBytes))),
        kB(median(l.map((x) => x.transfer.codeDecodedBytes))),
        kB(median(l.map((x) => x.transfer.encodedBytes))),
        String(median(l.map((x) => x.transfer.requests))),
        median(l.map((x) => x.fcpMs ?? NaN)),
        median(l.map((x) => x.meaningfulPaintMs)),
        median(l.map((x) => x.lcpMs ?? NaN)),
      ]);
    }
    console.log(table(rows));
    const before = app.loads['one chunk, uncompressed'];
    const now = app.loads['split, compressed'];
    const code = (l: EditorLoad[]) => median(l.map((x) => x.transfer.codeEncodedBytes));
    const ready = (l: EditorLoad[]) => median(l.map((x) => x.meaningfulPaintMs));
    const fcp = (l: EditorLoad[]) => median(l.map((x) => x.fcpMs ?? NaN));
    console.log(
      `  split + compressed vs one chunk uncompressed: ${fmt(code(before) / code(now), 1)}× fewer code bytes (${fmt(kB(code(now)))} vs ${fmt(kB(code(before)))} kB), ` +
        `ready ${fmt(ready(now), 0)} vs ${fmt(ready(before), 0)} ms`,
    );
    summary.push(`${app.app} first visit (${r.network.downloadMbps} Mbit/s): ${fmt(kB(code(now)))} kB of code sent (one chunk uncompressed: ${fmt(kB(code(before)))} kB), ready ${fmt(ready(now), 0)} ms (was ${fmt(ready(before), 0)} ms), FCP ${fmt(fcp(now), 0)} ms`);
    if (app.app === 'editor') {
      budgetLines.push(`editor palette + canvas ≤ ${BUDGETS.editorMeaningfulPaintMs} ms: ${fmt(ready(now), 0)} ms → ${verdict(ready(now) <= BUDGETS.editorMeaningfulPaintMs)}`);
      budgetLines.push(`editor code sent ≤ ${BUDGETS.editorCodeKB} kB: ${fmt(kB(code(now)))} kB → ${verdict(kB(code(now)) <= BUDGETS.editorCodeKB)}`);
    } else {
      budgetLines.push(`shoot app code sent ≤ ${BUDGETS.shootAppCodeKB} kB: ${fmt(kB(code(now)))} kB → ${verdict(kB(code(now)) <= BUDGETS.shootAppCodeKB)}`);
      budgetLines.push(`shoot app FCP ≤ ${BUDGETS.shootAppFcpMs} ms: ${fmt(fcp(now), 0)} ms → ${verdict(fcp(now) <= BUDGETS.shootAppFcpMs)}`);
    }
  }
  const g = r.graph;
  const render = median(g.loads.map((l) => l.graphResponseToAllVisibleMs ?? NaN));
  const fps = median(g.panZoom.map((p) => p.fps));
  const p95 = median(g.panZoom.map((p) => p.p95FrameMs));
  console.log(`\n  ${g.nodes}-node graph (split, compressed, loopback), medians of ${g.loads.length}: graph answer → all nodes drawn ${fmt(render, 0)} ms; navigation → all drawn ${fmt(median(g.loads.map((l) => l.allNodesVisibleMs ?? NaN)), 0)} ms; pan/zoom ${fmt(fps, 1)} fps (p95 frame ${fmt(p95, 1)} ms)`);
  summary.push(`editor ${g.nodes} nodes: drawn ${fmt(render, 0)} ms after the graph's answer, pan/zoom ${fmt(fps, 1)} fps`);
  budgetLines.push(`${g.nodes} nodes drawn ≤ ${BUDGETS.graphRenderMs} ms after the graph's answer: ${fmt(render, 0)} ms → ${verdict(render <= BUDGETS.graphRenderMs)}`);
  budgetLines.push(`${g.nodes} nodes pan/zoom ≥ ${BUDGETS.panZoomFps} fps: ${fmt(fps, 1)} fps → ${verdict(fps >= BUDGETS.panZoomFps)}`);
  console.log('\n  budgets (split, compressed):');
  for (const line of budgetLines) console.log(`    ${line}`);
  const failed = budgetLines.filter((l) => l.endsWith('FAIL')).length;
  summary.push(`editor budgets: ${budgetLines.length - failed}/${budgetLines.length} pass`);
}
