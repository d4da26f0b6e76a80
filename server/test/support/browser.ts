import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium. Never a Playwright-downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The repo's test-output/<name>/ directory (gitignored), created on demand. */
export async function outputDir(name: string): Promise<string> {
  const dir = resolve(__dirname, '../../../..', 'test-output', name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Finds chromium, installing Debian's package when it is missing and we may (root + apt-get).
 * Returns null with the reason when there is no way to get it, so the caller can skip clearly.
 */
export function ensureChromium(): { path: string } | { path: null; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' });
  if (!isRoot || apt.status !== 0) {
    return { path: null, reason: `${CHROMIUM_PATH} not found and apt-get is not usable here (${isRoot ? 'no apt-get' : 'not root'})` };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let res = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 300_000 });
  if (res.status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 });
    res = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 300_000 });
  }
  if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
  return { path: null, reason: `${CHROMIUM_PATH} not found and "apt-get install -y chromium" failed (exit ${res.status})` };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Browser console errors and uncaught page errors, for assertions and failure messages. */
  errors: string[];
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile directory, one page open at the given viewport. */
export async function launchBrowser(executablePath: string, viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'sf-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 30_000,
  });
  const errors: string[] = [];
  const watched = new WeakSet<Page>();
  const watch = (page: Page) => {
    if (watched.has(page)) return;
    watched.add(page);
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
