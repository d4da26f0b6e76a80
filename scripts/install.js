// Installs dependencies when node_modules is missing or older than the lockfile; builds everything.
const { execSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

function run(cmd, extraEnv = {}) {
  execSync(cmd, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
}

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    // onnxruntime-node's postinstall would try to download CUDA files; the CPU backend needs none.
    run('npm ci --no-audit --no-fund', { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  }
}

function build() {
  run('npx tsc -b');
  run('npm run build -w editor');
}

module.exports = { ensureInstalled, build, run, root };
