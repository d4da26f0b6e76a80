#!/usr/bin/env node
// `npm test`: install if needed, build, start PostgreSQL/Redis if down, run every test file with
// node's test runner (real PostgreSQL, Redis, sharp, onnxruntime and Chromium; nothing mocked).
const { spawnSync } = require('node:child_process');
const { readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { ensureServices } = require('./services');
const { ensureInstalled, build, root } = require('./install');

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js') && !f.includes('node_modules'))
    .map((f) => join(dir, f))
    .sort();
}

async function main() {
  ensureInstalled();
  await ensureServices();
  if (!process.argv.includes('--no-build')) build();
  const faults = process.argv.includes('--faults');
  // Tests sit in each package's test/ folder, and the node families keep theirs beside the node (nodes/src/<family>/).
  const dirs = ['runtime', 'nodes', 'gpu-runtime', 'cli', 'server'].map((w) => join(root, w, 'dist'));
  // The fault suite runs in the default command too (about a minute: it restarts PostgreSQL and Redis under load).
  const files = dirs.flatMap(testFiles).filter((f) => !faults || f.includes(join('test', 'faults')));
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test' },
  });
  process.exit(result.status ?? 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
