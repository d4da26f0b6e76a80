#!/usr/bin/env node
// `npm start`: install if needed, build, start PostgreSQL/Redis if down, then the API (with the
// editor and seeded templates), a CPU/cloud worker and the GPU runtime, supervised: a crashed
// process is restarted with backoff. Ctrl+C stops them all.
const { join } = require('node:path');
const { ensureServices } = require('./services');
const { ensureInstalled, build, root } = require('./install');
const { createSupervisor } = require('./supervisor');

async function waitForHealth(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health/ready`);
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
  const supervisor = createSupervisor();
  const launch = (name, file, asWorker) =>
    supervisor.launch(name, () => {
      const tuning = asWorker ? workerProcessLaunch() : { execArgv: [], env: {} };
      return { args: [...tuning.execArgv, join(root, file)], env: { ...process.env, ...tuning.env } };
    });
  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), 35_000).unref();
    supervisor.stop().then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  launch('api', 'server/dist/src/main.js', false);
  await waitForHealth(port, 120000);
  launch('worker', 'server/dist/src/worker/main.js', true);
  launch('gpu-runtime', 'gpu-runtime/dist/src/main.js', true);
  // The demo accounts and dev keys the API seeds (server/src/seed, server/src/config).
  const env = process.env;
  const password = env.STUDIOFLOW_DEMO_PASSWORD || 'studioflow-demo';
  const staffKey = env.STUDIOFLOW_STAFF_KEY ?? 'sf_staff_dev';
  console.log(
    [
      '',
      `Studioflow is up. Sign in with a demo account (staff and operator@studioflow.test too), password ${password}:`,
      `  Shoot app       http://localhost:${port}/app     seller@studioflow.test / ${password}`,
      `  Review console  http://localhost:${port}/review  reviewer@studioflow.test / ${password}`,
      `  Editor (staff)  http://localhost:${port}/        API key ${staffKey}`,
      `  API docs        http://localhost:${port}/api/docs  API keys: seller ${env.STUDIOFLOW_USER_KEY ?? 'sf_user_dev'}, staff ${staffKey}, ` +
        `reviewer ${env.STUDIOFLOW_REVIEWER_KEY ?? 'sf_reviewer_dev'}, operator ${env.STUDIOFLOW_OPERATOR_KEY ?? 'sf_operator_dev'}`,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
