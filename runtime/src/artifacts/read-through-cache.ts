import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

interface Entry {
  path: string;
  bytes: number;
  usedAt: number;
}

/**
 * A bounded folder of artifact copies on this machine, least recently used first out, by bytes.
 * One per process: the index lives in memory. A path handed out stays on disk for `pinMs` after its
 * last use even over the budget, so a library opening it a moment later never finds it gone.
 * With a budget of 0 nothing is reused: every fill writes a fresh file (the "cache off" baseline).
 */
export class ReadThroughCache {
  private readonly entries = new Map<string, Entry>(); // iteration order = least recently used first
  private readonly filling = new Map<string, Promise<string>>();
  private total = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly pinMs = 60_000,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The cached copy's path, marked as just used; undefined when not cached. */
  lookup(hash: string): string | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.touch(hash, entry);
    return entry.path;
  }

  /**
   * The cached copy of `hash`, written by `write(tmpPath)` when missing (it returns the bytes written).
   * Concurrent fills of one hash share one write.
   */
  async fill(hash: string, write: (tmpPath: string) => Promise<number>): Promise<string> {
    const cached = this.lookup(hash);
    if (cached) return cached;
    const pending = this.filling.get(hash);
    if (pending) return pending;
    const tmp = this.tmpPath(hash);
    const job = (async () => {
      try {
        const bytes = await write(tmp);
        return await this.adopt(hash, tmp, bytes);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    })().finally(() => this.filling.delete(hash));
    this.filling.set(hash, job);
    return job;
  }

  /** Moves a complete file of this machine (same filesystem) into the cache as `hash`. */
  async adopt(hash: string, file: string, bytes: number): Promise<string> {
    const key = this.maxBytes > 0 ? hash : `${hash}.${randomBytes(4).toString('hex')}`;
    const existing = this.entries.get(key);
    if (existing) {
      await rm(file, { force: true });
      this.touch(key, existing);
      return existing.path;
    }
    const path = join(this.dir, key);
    await rename(file, path);
    const entry = { path, bytes, usedAt: Date.now() };
    this.entries.set(key, entry);
    this.total += bytes;
    await this.evict();
    return path;
  }

  /** A path inside the cache folder for a file about to be written (then adopted or removed). */
  tmpPath(hash: string): string {
    return join(this.dir, `${hash}.${randomBytes(6).toString('hex')}.tmp`);
  }

  async drop(hash: string): Promise<void> {
    for (const [key, entry] of this.entries) {
      if (key !== hash && !key.startsWith(`${hash}.`)) continue;
      this.entries.delete(key);
      this.total -= entry.bytes;
      await rm(entry.path, { force: true });
    }
  }

  get bytes(): number {
    return this.total;
  }

  private touch(key: string, entry: Entry): void {
    entry.usedAt = Date.now();
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private async evict(): Promise<void> {
    if (this.total <= this.maxBytes) return;
    const pinnedSince = Date.now() - this.pinMs;
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      if (entry.usedAt > pinnedSince) continue;
      this.entries.delete(key);
      this.total -= entry.bytes;
      await rm(entry.path, { force: true });
    }
  }
}

/**
 * The cache folder of this process under `parent`: `cache-<pid>`. Folders left by processes that
 * are gone (a kill -9, a restart) are removed, so a machine's disk does not fill with orphans.
 */
export function processCacheDir(parent: string): string {
  mkdirSync(parent, { recursive: true });
  for (const name of readdirSync(parent)) {
    const pid = /^cache-(\d+)$/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const dir = join(parent, `cache-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
