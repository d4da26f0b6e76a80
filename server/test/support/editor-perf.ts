/**
 * How fast the editor is in a real Chromium: first paint, first meaningful paint (palette and canvas
 * drawn), bytes transferred, a big graph's first render and the frame rate while panning and zooming.
 * One place for these measurements (the shoot app's first screen too): the editor e2e test prints them, `npm run bench` (section
 * `editor`) compares them with baselines and budgets.
 */
import type { Page } from 'playwright-core';

// Page functions run in the browser: the server project compiles without the DOM library.
declare const window: any;
declare const document: any;
declare const PerformanceObserver: any;
declare function requestAnimationFrame(cb: (ts: number) => void): number;

/** `n` nodes as white-studio chains (input → segment → composite → deliver) in a grid: 300 nodes, 225 edges. */
export function bigGraph(n: number) {
  const types = ['input-image', 'segment', 'studio-composite', 'deliver'];
  const ports = [
    ['image', 'image'],
    ['cutout', 'cutout'],
    ['image', 'image'],
  ];
  const nodes = [];
  const edges = [];
  for (let i = 0; i < n; i++) {
    const chain = Math.floor(i / 4);
    const step = i % 4;
    nodes.push({
      id: `n${i}`,
      type: types[step],
      position: { x: (chain % 5) * 1160 + step * 280, y: Math.floor(chain / 5) * 240 },
      params: step === 2 ? { background: 'white', fill: 0.85, shadow: 0.35 } : {},
    });
    if (step > 0) edges.push({ id: `e${i}`, source: `n${i - 1}`, sourceHandle: ports[step - 1][0], target: `n${i}`, targetHandle: ports[step - 1][1] });
  }
  return { nodes, edges };
}

/** What the page recorded while loading (ms since navigation start; null: not yet). */
interface LoadMarks {
  fcp: number | null;
  lcp: number | null;
  readyAt: number | null;
  firstNodeAt: number | null;
  allVisibleAt: number | null;
}

export interface EditorLoad {
  /** First contentful paint (null if Chromium reported none). */
  fcpMs: number | null;
  /** Largest contentful paint (the last candidate before the page was read). */
  lcpMs: number | null;
  /** First meaningful paint: the first frame with the app's main content (the editor: palette items and the canvas pane). */
  meaningfulPaintMs: number;
  /** With a graph: every node drawn (not hidden), from navigation start and from the graph's answer. */
  allNodesVisibleMs: number | null;
  graphResponseToAllVisibleMs: number | null;
  /** Bodies as sent (compressed where the server compressed) and as decoded, of everything loaded so far. */
  transfer: TransferTotals;
}

export interface TransferTotals {
  requests: number;
  encodedBytes: number;
  decodedBytes: number;
  /** Scripts and stylesheets only (the app's code). */
  codeEncodedBytes: number;
  codeDecodedBytes: number;
}

/** The editor's main content: the palette lists node types and the canvas pane is drawn. */
export const EDITOR_READY = ['[data-testid^="palette-item-"]', '.react-flow__pane'];
/** The shoot app's and the review console's first screen for a visitor: the sign-in form. */
export const SIGN_IN_READY = ['form input[type="email"]', 'form input[type="password"]'];

/**
 * Call before `page.goto`: records FCP and LCP (PerformanceObserver), the first frame in which every
 * `ready` selector matches, and, when `nodeCount` > 0, the frames with the first and with all nodes visible.
 */
export async function watchEditorLoad(page: Page, nodeCount = 0, ready: string[] = EDITOR_READY): Promise<void> {
  await page.addInitScript(([count, selectors]: [number, string[]]) => {
    const marks = { fcp: null, lcp: null, readyAt: null, firstNodeAt: null, allVisibleAt: null } as Record<string, number | null>;
    window.__sfLoad = marks;
    new PerformanceObserver((list: any) => {
      for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') marks.fcp = e.startTime;
    }).observe({ type: 'paint', buffered: true });
    new PerformanceObserver((list: any) => {
      const entries = list.getEntries();
      if (entries.length) marks.lcp = entries[entries.length - 1].startTime;
    }).observe({ type: 'largest-contentful-paint', buffered: true });
    const tick = () => {
      const now = performance.now();
      if (marks.readyAt === null && selectors.every((sel) => document.querySelector(sel))) marks.readyAt = now;
      if (count > 0) {
        const nodes = document.querySelectorAll('.react-flow__node') as Array<{ style: { visibility: string } }>;
        if (nodes.length && marks.firstNodeAt === null) marks.firstNodeAt = now;
        let visible = 0;
        if (nodes.length >= count) for (const el of nodes) if (el.style.visibility !== 'hidden') visible++;
        if (visible >= count) marks.allVisibleAt = now;
      }
      if (marks.readyAt === null || (count > 0 && marks.allVisibleAt === null)) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, [nodeCount, ready] as [number, string[]]);
}

/** Bytes of everything the page loaded so far (navigation and resources), from Resource Timing. */
export async function transferTotals(page: Page): Promise<TransferTotals> {
  return page.evaluate(() => {
    const timing = performance as any;
    const entries = [...timing.getEntriesByType('navigation'), ...timing.getEntriesByType('resource')] as any[];
    const code = entries.filter((e) => e.initiatorType === 'script' || e.initiatorType === 'link' || /\.(js|css)(\?|$)/.test(e.name));
    const sum = (list: any[], key: string) => list.reduce((a, e) => a + (e[key] ?? 0), 0);
    return {
      requests: entries.length,
      encodedBytes: sum(entries, 'encodedBodySize'),
      decodedBytes: sum(entries, 'decodedBodySize'),
      codeEncodedBytes: sum(code, 'encodedBodySize'),
      codeDecodedBytes: sum(code, 'decodedBodySize'),
    };
  });
}

/**
 * Waits for what {@link watchEditorLoad} watches (the ready selectors; every node when
 * `nodeCount` > 0) and reads the timings. `graphId`: the graph the URL opened, whose answer starts
 * the "first render" clock.
 */
export async function waitEditorLoad(page: Page, o: { nodeCount?: number; graphId?: string; timeoutMs?: number } = {}): Promise<EditorLoad> {
  const count = o.nodeCount ?? 0;
  const end = Date.now() + (o.timeoutMs ?? 120_000);
  let marks: LoadMarks;
  let readySeen: number | null = null;
  for (;;) {
    marks = (await page.evaluate(() => window.__sfLoad)) as LoadMarks;
    const ready = marks.readyAt !== null && (count === 0 || marks.allVisibleAt !== null);
    if (ready) readySeen ??= Date.now();
    // Paint timing is reported a frame after the paint: give FCP a moment to arrive.
    if (ready && (marks.fcp !== null || Date.now() - readySeen! > 2000)) break;
    if (Date.now() > end) throw new Error(`timed out waiting for the editor to load: ${JSON.stringify(marks)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  let graphResponseEnd: number | null = null;
  if (o.graphId) {
    graphResponseEnd = await page.evaluate(
      (gid) => (performance.getEntriesByType('resource') as any[]).find((e) => e.name.endsWith(`/api/graphs/${gid}`))?.responseEnd ?? null,
      o.graphId,
    );
    if (graphResponseEnd === null) throw new Error(`the page never fetched graph ${o.graphId}`);
  }
  // LCP settles once the page stops adding larger content; it is read now, after the load marks.
  marks = (await page.evaluate(() => window.__sfLoad)) as LoadMarks;
  return {
    fcpMs: marks.fcp,
    lcpMs: marks.lcp,
    meaningfulPaintMs: marks.readyAt!,
    allNodesVisibleMs: marks.allVisibleAt,
    graphResponseToAllVisibleMs: marks.allVisibleAt !== null && graphResponseEnd !== null ? marks.allVisibleAt - graphResponseEnd : null,
    transfer: await transferTotals(page),
  };
}

export interface PanZoom {
  /** Animation frames per second over the scripted pan (1 s) and zoom (1 s). */
  fps: number;
  frames: number;
  p95FrameMs: number;
  worstFrameMs: number;
  /** The viewport's CSS transform before, after the pan and after the zoom: the motions really happened. */
  transforms: [string, string, string];
}

/** A scripted pan (1 s of dragging on empty canvas) then zoom (1 s of wheel notches, in and out), counting frames. */
export async function measurePanZoom(page: Page): Promise<PanZoom> {
  const c = (await page.getByTestId('canvas').boundingBox())!;
  const grab = { x: c.x + 14, y: c.y + 14 };
  const onPane = await page.evaluate(({ x, y }) => !!document.elementFromPoint(x, y)?.classList.contains('react-flow__pane'), grab);
  if (!onPane) throw new Error(`the drag would not start on empty canvas at ${grab.x},${grab.y}`);
  const transform = () => page.locator('.react-flow__viewport').evaluate((el: any) => el.style.transform as string);
  const t0 = await transform();
  await page.evaluate(() => {
    const f = { times: [] as number[], stop: false };
    window.__sfFrames = f;
    const loop = (ts: number) => {
      f.times.push(ts);
      if (!f.stop) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  await page.mouse.move(grab.x, grab.y);
  await page.mouse.down();
  let start = Date.now();
  for (let i = 0; Date.now() - start < 1000; i++) {
    const a = i / 12;
    await page.mouse.move(grab.x + 160 + 140 * Math.sin(a), grab.y + 120 + 100 * Math.sin(a * 1.3));
  }
  await page.mouse.up();
  const t1 = await transform();
  await page.mouse.move(c.x + c.width / 2, c.y + c.height / 2);
  start = Date.now();
  for (let i = 0; Date.now() - start < 1000; i++) {
    // ~40 notches in (towards readable zoom), then back out, and so on.
    await page.mouse.wheel(0, Math.floor(i / 40) % 2 ? 40 : -40);
    await new Promise((r) => setTimeout(r, 8));
  }
  const frames = (await page.evaluate(() => {
    window.__sfFrames.stop = true;
    return window.__sfFrames.times;
  })) as number[];
  const t2 = await transform();
  const gaps = frames.slice(1).map((x, i) => x - frames[i]).sort((a, b) => a - b);
  return {
    fps: ((frames.length - 1) * 1000) / (frames[frames.length - 1] - frames[0]),
    frames: frames.length,
    p95FrameMs: gaps[Math.floor(gaps.length * 0.95)],
    worstFrameMs: gaps[gaps.length - 1],
    transforms: [t0, t1, t2],
  };
}
