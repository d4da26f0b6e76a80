#!/usr/bin/env node
// `npm start`: install if needed, build, start PostgreSQL/Redis if down, then the API (with the
// editor and seeded templates), a CPU/cloud worker and the GPU runtime, supervised: a crashed
// process is restarted with backoff. Ctrl+C stops them all.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { ensureServices } = require('./services');
const { ensureInstalled, build, root } = require('./install');

async function waitForHealth(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('the API did not become healthy');
}

async function main() {
  ensureInstalled();
  await ensureServices();
  if (!process.argv.includes('--no-build')) build();
  const port = Number(process.env.PORT ?? 3000);
  // Required after the build: the one description of how worker processes are launched.
  const { workerProcessLaunch } = require('@studioflow/runtime/config');
  const supervised = [];
  let stopping = false;
  /**
   * Supervision: a child that exits on its own (a crash, a lost dependency at boot) is restarted
   * after a backoff that doubles from 1 s to 30 s and resets once it has stayed up for a minute.
   * Only Ctrl+C (or SIGTERM to this process) stops everything.
   */
  const launch = (name, file, asWorker) => {
    const entry = { name, child: null, delayMs: 1000, timer: null };
    const run = () => {
      entry.timer = null;
      const tuning = asWorker ? workerProcessLaunch() : { execArgv: [], env: {} };
      const startedAt = Date.now();
      const child = spawn(process.execPath, [...tuning.execArgv, join(root, file)], { stdio: 'inherit', env: { ...process.env, ...tuning.env } });
      entry.child = child;
      child.on('exit', (code, signal) => {
        entry.child = null;
        if (stopping) return;
        if (Date.now() - startedAt >= 60_000) entry.delayMs = 1000;
        console.error(`[supervisor] ${name} exited (${signal ?? `code ${code}`}); restarting in ${entry.delayMs / 1000} s`);
        entry.timer = setTimeout(run, entry.delayMs);
        entry.delayMs = Math.min(entry.delayMs * 2, 30_000);
      });
    };
    supervised.push(entry);
    run();
  };
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    const alive = [];
    for (const e of supervised) {
      if (e.timer) clearTimeout(e.timer);
      if (e.child) {
        alive.push(e.child);
        e.child.kill('SIGTERM');
      }
    }
    setTimeout(() => process.exit(code), 35_000).unref();
    Promise.all(alive.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r))))).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  launch('api', 'server/dist/src/main.js', false);
  await waitForHealth(port, 120000);
  launch('worker', 'server/dist/src/worker/main.js', true);
  launch('gpu-runtime', 'gpu-runtime/dist/src/main.js', true);
  console.log(`\nStudioflow is up: editor http://localhost:${port}/  API docs http://localhost:${port}/api/docs\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
