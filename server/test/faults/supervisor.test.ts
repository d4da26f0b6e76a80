import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** `npm start`'s supervisor (scripts/supervisor.js), with a child that crashes on purpose. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSupervisor } = require(resolve(__dirname, '../../../../scripts/supervisor.js')) as {
  createSupervisor(o: { minDelayMs: number; maxDelayMs: number; stableMs: number; log: (line: string) => void }): {
    launch(name: string, prepare: () => { args: string[]; env: NodeJS.ProcessEnv; stdio?: 'ignore' }): { child: import('node:child_process').ChildProcess | null; starts: number };
    stop(): Promise<void>;
  };
};

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  const end = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a crashed child is restarted with growing backoff and logged; stop() ends it and restarts nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-supervisor-'));
  try {
    const counter = join(dir, 'starts');
    const script = join(dir, 'child.js');
    // Crashes on its first two starts (as a process losing its database at boot would), then stays up.
    await writeFile(
      script,
      `const fs = require('node:fs');
       const n = Number(fs.existsSync(${JSON.stringify(counter)}) ? fs.readFileSync(${JSON.stringify(counter)}, 'utf8') : 0) + 1;
       process.on('SIGTERM', () => process.exit(0));
       fs.writeFileSync(${JSON.stringify(counter)}, String(n));
       if (n <= 2) process.exit(1);
       setInterval(() => {}, 1000);`,
    );
    const lines: string[] = [];
    const supervisor = createSupervisor({ minDelayMs: 50, maxDelayMs: 400, stableMs: 60_000, log: (l) => lines.push(l) });
    const entry = supervisor.launch('child', () => ({ args: [script], env: process.env, stdio: 'ignore' }));
    await until('the third start stays up', async () => entry.starts === 3 && entry.child !== null && (await readFile(counter, 'utf8').catch(() => '')) === '3');
    assert.deepEqual(lines, [
      '[supervisor] child exited (code 1); restarting in 0.05 s',
      '[supervisor] child exited (code 1); restarting in 0.1 s',
    ]);
    entry.child!.kill('SIGKILL');
    await until('the killed child is replaced', async () => entry.starts === 4 && entry.child !== null && (await readFile(counter, 'utf8').catch(() => '')) === '4');
    assert.equal(lines[2], '[supervisor] child exited (SIGKILL); restarting in 0.2 s');
    const last = entry.child!;
    await supervisor.stop();
    assert.equal(last.exitCode, 0, 'stopped with SIGTERM, exited cleanly');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(entry.starts, 4, 'nothing restarted after stop()');
    assert.equal(lines.length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
