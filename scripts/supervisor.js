// Keeps `npm start`'s processes running: a child that exits on its own (a crash, a dependency that
// was down at boot) is restarted after a backoff that doubles from 1 s to 30 s and resets once it has
// stayed up for a minute, and every exit is logged. stop() (Ctrl+C) ends them all and restarts none.
const { spawn } = require('node:child_process');

function createSupervisor(options = {}) {
  const o = { minDelayMs: 1000, maxDelayMs: 30_000, stableMs: 60_000, log: (line) => console.error(line), ...options };
  const entries = [];
  let stopping = false;

  /** Starts `node ...args` under supervision; `prepare()` gives fresh { args, env } for each start. */
  function launch(name, prepare) {
    const entry = { name, child: null, timer: null, delayMs: o.minDelayMs, starts: 0 };
    const run = () => {
      entry.timer = null;
      const { args, env, stdio } = prepare();
      const startedAt = Date.now();
      const child = spawn(process.execPath, args, { stdio: stdio ?? 'inherit', env });
      entry.child = child;
      entry.starts++;
      child.on('exit', (code, signal) => {
        entry.child = null;
        if (stopping) return;
        if (Date.now() - startedAt >= o.stableMs) entry.delayMs = o.minDelayMs;
        o.log(`[supervisor] ${name} exited (${signal ?? `code ${code}`}); restarting in ${entry.delayMs / 1000} s`);
        entry.timer = setTimeout(run, entry.delayMs);
        entry.delayMs = Math.min(entry.delayMs * 2, o.maxDelayMs);
      });
    };
    entries.push(entry);
    run();
    return entry;
  }

  /** SIGTERM to every child (each finishes its active work); resolves when all have exited. */
  function stop() {
    stopping = true;
    const alive = [];
    for (const e of entries) {
      if (e.timer) clearTimeout(e.timer);
      if (e.child) {
        alive.push(e.child);
        e.child.kill('SIGTERM');
      }
    }
    return Promise.all(alive.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)))));
  }

  return { launch, stop, entries };
}

module.exports = { createSupervisor };
