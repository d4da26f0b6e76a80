import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

export interface ProcessMeasure {
  code: number | null;
  stdout: string;
  stderr: string;
  wallS: number;
  /** user + system CPU of the process (and its threads). */
  cpuS: number;
  peakRssMb: number;
  /** How the numbers were taken. */
  method: string;
}

export const TIME_BIN = '/usr/bin/time';
export const TASKSET_BIN = '/usr/bin/taskset';

/** Pins a command to CPU 0 when taskset exists, so "one core" means one core for both sides. */
export function onOneCore(cmd: string, args: string[]): [string, string[]] {
  return existsSync(TASKSET_BIN) ? [TASKSET_BIN, ['-c', '0', cmd, ...args]] : [cmd, args];
}

/**
 * Runs a command and measures wall, CPU and peak RSS: with GNU time -v when present (exact peak
 * from the kernel's rusage), else by polling /proc/<pid>/status VmHWM every 20 ms.
 */
export async function measureProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessMeasure> {
  const useTime = existsSync(TIME_BIN);
  const [file, argv] = useTime ? [TIME_BIN, ['-v', cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        readFile(`/proc/${child.pid}/status`, 'utf8')
          .then((s) => {
            const m = /VmHWM:\s+(\d+) kB/.exec(s);
            if (m) polledKb = Math.max(polledKb, Number(m[1]));
          })
          .catch(() => undefined);
      }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (poll) clearInterval(poll);
  const wallS = (performance.now() - t0) / 1000;
  if (!useTime) return { code, stdout, stderr, wallS, cpuS: NaN, peakRssMb: polledKb / 1024, method: 'poll /proc VmHWM' };
  const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
  const user = num(/User time \(seconds\): ([\d.]+)/);
  const sys = num(/System time \(seconds\): ([\d.]+)/);
  const rssKb = num(/Maximum resident set size \(kbytes\): (\d+)/);
  const timeReport = stderr.indexOf('\tCommand being timed');
  return {
    code,
    stdout,
    stderr: timeReport >= 0 ? stderr.slice(0, timeReport) : stderr,
    wallS,
    cpuS: user + sys,
    peakRssMb: rssKb / 1024,
    method: '/usr/bin/time -v',
  };
}
