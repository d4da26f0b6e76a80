#!/usr/bin/env node
// `npm start`: install if needed, build, start PostgreSQL/Redis if down, then the API (with the
// editor and seeded templates), a CPU/cloud worker and the GPU runtime. Ctrl+C stops them all.
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
  const children = [];
  // Required after the build: the one description of how worker processes are launched.
  const { workerProcessLaunch } = require('@studioflow/runtime/config');
  const launch = (name, file, asWorker) => {
    const tuning = asWorker ? workerProcessLaunch() : { execArgv: [], env: {} };
    const child = spawn(process.execPath, [...tuning.execArgv, join(root, file)], { stdio: 'inherit', env: { ...process.env, ...tuning.env } });
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`${name} exited (${signal ?? code}); stopping`);
        stop(1);
      }
    });
    children.push(child);
  };
  let stopping = false;
  const stop = (code) => {
    stopping = true;
    for (const c of children) c.kill('SIGTERM');
    setTimeout(() => process.exit(code), 5000).unref();
    Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(() => process.exit(code));
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
