import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpException } from '@nestjs/common';
import { parse } from 'csv-parse/sync';
import * as yauzl from 'yauzl';
import type { BatchProblem } from '@studioflow/runtime/graph';
import { clip, megabytes, quote } from '../common/errors';
import { checkImageFile, type CheckedImage } from '../common/image-check';

export interface CatalogLimits {
  /** Images in one batch at most. */
  maxItems: number;
  /** Uncompressed bytes of all images together at most (zip bombs). */
  maxTotalBytes: number;
  /** One image's bytes at most (as for a single upload). */
  maxImageBytes: number;
  /** One image's pixels at most (decompression bombs). */
  maxPixels: number;
  /** All images' pixels together at most. */
  maxTotalPixels: number;
  /** The working side of each input-image node the photos feed. */
  workingSides: number[];
}

/** One image of the catalog, checked and staged (hashed on the way) for the artifact store. */
export interface CatalogItem {
  ordinal: number;
  name: string;
  title: string | null;
  /** The CSV row's param overrides, keyed `<nodeId>.<param>`. */
  params: Record<string, unknown>;
  staged: { path: string; sha256: string; bytes: number };
  image: CheckedImage;
}

export type CatalogRead = { ok: true; items: CatalogItem[] } | { ok: false; status: number; problems: BatchProblem[] };

/** Column names accepted for the image's file name, the first found wins. */
const FILE_COLUMNS = ['file', 'filename', 'file name', 'image'];
const TITLE_COLUMN = 'title';
const MAX_CSV_BYTES = 5 * 1024 * 1024;
/** Images checked (decoded) at once while the zip is read. */
const PARALLEL_CHECKS = 3;
/** At most this many problems are listed: enough to fix a catalog, small enough to read. */
const MAX_PROBLEMS = 100;

/**
 * Reads a catalog upload: a zip of images, optionally with a CSV naming them (file, title, then any
 * exposed params as `<nodeId>.<param>` columns). Everything is checked before anything is stored: a
 * corrupt zip, too many entries, too many bytes or pixels in total, unsafe paths, entries that are
 * not readable images, CSV rows naming missing files. With problems, every staged file is removed
 * and all problems are answered at once.
 */
export async function readCatalog(zipPath: string, csv: Buffer | undefined, stagingDir: string, limits: CatalogLimits): Promise<CatalogRead> {
  const problems: BatchProblem[] = [];
  const staged: CatalogItem[] = [];
  let status = 422;
  const fail = (s: number, problem: BatchProblem) => {
    // One status for the whole answer: too large wins (the client must split the catalog), else 422.
    if (s === 413) status = 413;
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  try {
    const rows = csv ? readCsv(csv, limits.maxItems, fail) : undefined;
    if (problems.length) return { ok: false, status, problems };
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true });
    } catch (err) {
      return { ok: false, status: 422, problems: [{ message: `the archive is not a readable zip: ${clip((err as Error).message, 200)}` }] };
    }
    // The central directory is read entry by entry; a huge count is refused before reading any.
    if (zip.entryCount > limits.maxItems * 2 + 100) {
      zip.close();
      return { ok: false, status: 413, problems: [{ message: `the zip has ${zip.entryCount} entries; a batch takes at most ${limits.maxItems} images` }] };
    }
    const seen = new Set<string>();
    const zipOrder: string[] = [];
    let declaredBytes = 0;
    let pixels = 0;
    const checking = new Set<Promise<void>>();
    /** Never rejects: what is wrong with the image becomes a problem of its item. */
    const check = async (name: string, file: CatalogItem['staged']): Promise<void> => {
      try {
        const image = await checkImageFile(file.path, { maxPixels: limits.maxPixels, workingSides: limits.workingSides });
        pixels += image.width * image.height;
        const row = rows?.get(name);
        staged.push({ ordinal: 0, name, title: row?.title ?? null, params: row?.params ?? {}, staged: file, image });
      } catch (err) {
        await rm(file.path, { force: true });
        if (err instanceof HttpException) fail(err.getStatus(), { item: name, message: err.message });
        else fail(422, { item: name, message: `the image cannot be read: ${clip((err as Error).message, 200)}` });
      }
    };
    try {
      for await (const { entry, name } of entries(zip)) {
        if (name.endsWith('/') || ignored(name)) continue;
        const unsafe = yauzl.validateFileName(name);
        if (unsafe) {
          fail(422, { item: name, message: `unsafe path in the zip: ${unsafe}` });
          continue;
        }
        if (seen.has(name)) {
          fail(422, { item: name, message: 'the zip holds this name twice' });
          continue;
        }
        seen.add(name);
        if (seen.size > limits.maxItems) {
          fail(413, { message: `the zip holds more than ${limits.maxItems} images, the most a batch takes` });
          break;
        }
        if (rows && !rows.has(name)) {
          fail(422, { item: name, message: 'this image is in the zip but not in the CSV' });
          continue;
        }
        if (entry.uncompressedSize > limits.maxImageBytes) {
          fail(413, { item: name, message: `the image is ${megabytes(entry.uncompressedSize)}; the limit is ${megabytes(limits.maxImageBytes)}` });
          continue;
        }
        declaredBytes += entry.uncompressedSize;
        if (declaredBytes > limits.maxTotalBytes) {
          fail(413, { message: `the images add up to more than ${megabytes(limits.maxTotalBytes)} uncompressed, the most a batch takes` });
          break;
        }
        const file = await stage(zip, entry, stagingDir);
        zipOrder.push(name);
        // Checked while the next entries are read: a few decodes at once, never more.
        const task = check(name, file).then(() => void checking.delete(task));
        checking.add(task);
        if (checking.size >= PARALLEL_CHECKS) await Promise.race(checking);
        if (pixels > limits.maxTotalPixels) break;
      }
    } catch (err) {
      fail(422, { message: `the zip is corrupt: ${clip((err as Error).message, 200)}` });
    } finally {
      await Promise.all(checking);
      zip.close();
    }
    if (pixels > limits.maxTotalPixels) fail(413, { message: `the images add up to more than ${(limits.maxTotalPixels / 1e6).toFixed(0)} MP, the most a batch takes` });
    for (const [name, row] of rows ?? []) if (!seen.has(name)) fail(422, { item: `CSV line ${row.line}`, message: `names ${quote(name)}, which is not in the zip` });
    if (problems.length === 0 && staged.length === 0) fail(422, { message: 'the zip holds no images' });
    if (problems.length) return { ok: false, status, problems };
    // The CSV's order when there is one, else the zip's.
    const order = rows ? [...rows.keys()] : zipOrder;
    const byName = new Map(staged.map((s) => [s.name, s]));
    const items = order.map((name, i) => ({ ...byName.get(name)!, ordinal: i + 1 }));
    staged.length = 0; // handed over: the caller stores them
    return { ok: true, items };
  } finally {
    await Promise.all(staged.map((s) => rm(s.staged.path, { force: true })));
  }
}

/** macOS resource forks and hidden files that zip tools add: not catalog images. */
function ignored(name: string): boolean {
  return name.startsWith('__MACOSX/') || posix.basename(name).startsWith('.');
}

/** Entries one at a time, with their names decoded (UTF-8 when flagged, else CP437 as the zip spec says). */
async function* entries(zip: yauzl.ZipFile): AsyncGenerator<{ entry: yauzl.Entry; name: string }> {
  while (true) {
    const next = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (e: yauzl.Entry) => done(null, e);
      const onEnd = () => done(null, null);
      const onError = (err: Error) => done(err, null);
      const done = (err: Error | null, e: yauzl.Entry | null) => {
        zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
        if (err) reject(err);
        else resolve(e);
      };
      zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
      zip.readEntry();
    });
    if (!next) return;
    const raw = next.fileNameRaw ?? (next.fileName as unknown as Buffer);
    yield { entry: next, name: yauzl.getFileNameLowLevel(next.generalPurposeBitFlag, raw, next.extraFields, false) };
  }
}

/** Writes one entry to the staging dir, hashing it on the way; yauzl stops an entry longer than it declared. */
async function stage(zip: yauzl.ZipFile, entry: yauzl.Entry, dir: string): Promise<{ path: string; sha256: string; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}.batch`);
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(stream, hashing, createWriteStream(path));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, sha256: hash.digest('hex'), bytes };
}

interface CsvRow {
  line: number;
  title: string | null;
  params: Record<string, unknown>;
}

/** The CSV's rows by file name; problems go to `fail`. */
function readCsv(csv: Buffer, maxItems: number, fail: (status: number, p: BatchProblem) => void): Map<string, CsvRow> {
  const rows = new Map<string, CsvRow>();
  if (csv.length > MAX_CSV_BYTES) {
    fail(413, { message: `the CSV is ${megabytes(csv.length)}; the limit is ${megabytes(MAX_CSV_BYTES)}` });
    return rows;
  }
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    fail(422, { message: `the CSV cannot be read: ${clip((err as Error).message, 200)}` });
    return rows;
  }
  const [header, ...body] = records;
  const columns = (header ?? []).map((h) => h.toLowerCase());
  const fileColumn = columns.findIndex((c) => FILE_COLUMNS.includes(c));
  if (fileColumn < 0) {
    fail(422, { message: `the CSV needs a header row with a file column (${FILE_COLUMNS.join(', ')}) and optionally title and <node>.<param> columns` });
    return rows;
  }
  if (body.length > maxItems) {
    fail(413, { message: `the CSV has ${body.length} rows; a batch takes at most ${maxItems} images` });
    return rows;
  }
  body.forEach((record, i) => {
    const line = i + 2;
    const name = record[fileColumn] ?? '';
    if (!name) return fail(422, { item: `CSV line ${line}`, message: 'the file name is empty' });
    if (rows.has(name)) return fail(422, { item: `CSV line ${line}`, message: `names ${quote(name)} a second time` });
    const row: CsvRow = { line, title: null, params: {} };
    header!.forEach((column, c) => {
      const value = record[c];
      if (c === fileColumn || value === undefined || value === '') return;
      if (columns[c] === TITLE_COLUMN) row.title = clip(value, 300);
      else row.params[column] = cellValue(value);
    });
    rows.set(name, row);
  });
  return rows;
}

/** A cell as JSON when it reads as JSON (numbers, booleans, quoted strings), else the text itself. */
function cellValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
