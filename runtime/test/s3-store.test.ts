import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { openArtifactStore, parseStorageUrl, S3ArtifactStore, type S3ArtifactStoreOptions } from '../src/artifacts';
import { startTestS3Server, type TestS3Server } from '../src/testing';

let s3: TestS3Server;
const dirs: string[] = [];

before(async () => {
  s3 = await startTestS3Server();
});
after(async () => {
  await s3.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A store as a separate process would have it (its own client and cache folder), and the S3 commands it sent. */
async function store(prefix: string, options: Partial<S3ArtifactStoreOptions> = {}): Promise<{ store: S3ArtifactStore; commands: string[]; client: S3Client }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'sf-s3-cache-'));
  dirs.push(cacheDir);
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize' },
  );
  return { store: new S3ArtifactStore({ client, bucket: s3.bucket, prefix, cacheDir, cacheBytes: 64 * 2 ** 20, ...options }), commands, client };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('identical content is stored once: the second writer HEADs, finds it, and PUTs nothing', async () => {
  const prefix = `dedupe-${randomBytes(4).toString('hex')}/`;
  const a = await store(prefix);
  const b = await store(prefix);
  const bytes = randomBytes(2048);
  const first = await a.store.put(bytes, { mime: 'image/png', width: 2, height: 3 });
  assert.deepEqual(first, { hash: sha256(bytes), mime: 'image/png', bytes: 2048, width: 2, height: 3 });
  assert.deepEqual(a.commands, ['HeadObject', 'PutObject']);
  const second = await b.store.put(bytes, { mime: 'image/png' });
  assert.equal(second.hash, first.hash);
  assert.deepEqual(b.commands, ['HeadObject'], 'no second upload');
  assert.deepEqual(await b.store.get(first.hash), bytes, 'the other process reads it: it is in its write-through cache');
});

test('a large artifact goes up in parts and streams back whole to a process that never saw it', async () => {
  const prefix = `multipart-${randomBytes(4).toString('hex')}/`;
  const writer = await store(prefix, { partBytes: 5 * 2 ** 20 });
  const reader = await store(prefix, { cacheBytes: 0 });
  const bytes = randomBytes(12 * 2 ** 20 + 17);
  const ref = await writer.store.put(bytes, { mime: 'image/png' });
  assert.deepEqual(writer.commands.filter((c) => c !== 'UploadPart'), ['HeadObject', 'CreateMultipartUpload', 'CompleteMultipartUpload']);
  assert.equal(writer.commands.filter((c) => c === 'UploadPart').length, 3);
  const chunks: Buffer[] = [];
  let largest = 0;
  for await (const chunk of await reader.store.createReadStream(ref.hash)) {
    chunks.push(chunk as Buffer);
    largest = Math.max(largest, (chunk as Buffer).length);
  }
  assert.equal(sha256(Buffer.concat(chunks)), ref.hash);
  assert.ok(chunks.length > 1 && largest < bytes.length, 'read in chunks, not as one buffer');
});

test('the read-through cache downloads once per process and keeps within its byte budget', async () => {
  const prefix = `cache-${randomBytes(4).toString('hex')}/`;
  const writer = await store(prefix);
  const reader = await store(prefix, { cacheBytes: 2500, cachePinMs: 0 });
  const refs = [];
  for (let i = 0; i < 3; i++) refs.push(await writer.store.put(randomBytes(1000), { mime: 'application/octet-stream' }));
  const path = await reader.store.localPath(refs[0]!.hash);
  assert.equal(sha256(await readFile(path)), refs[0]!.hash);
  await reader.store.get(refs[0]!.hash);
  await reader.store.localPath(refs[0]!.hash);
  assert.deepEqual(reader.commands, ['GetObject'], 'one download for three reads');
  await reader.store.localPath(refs[1]!.hash);
  await reader.store.localPath(refs[2]!.hash);
  assert.ok(reader.store.cache.bytes <= 2500, `the cache holds ${reader.store.cache.bytes} bytes`);
  const files = (await readdir(reader.store.cache.dir)).filter((f) => f !== 'tmp');
  assert.deepEqual(files.sort(), [refs[1]!.hash, refs[2]!.hash].sort(), 'the least recently used copy was evicted');
  await reader.store.localPath(refs[0]!.hash);
  assert.equal(reader.commands.filter((c) => c === 'GetObject').length, 4, 'an evicted artifact downloads again');
});

test('concurrent reads of one artifact share one download', async () => {
  const prefix = `single-${randomBytes(4).toString('hex')}/`;
  const writer = await store(prefix);
  const reader = await store(prefix);
  const ref = await writer.store.put(randomBytes(200_000), { mime: 'application/octet-stream' });
  const paths = await Promise.all([reader.store.localPath(ref.hash), reader.store.get(ref.hash), reader.store.localPath(ref.hash)]);
  assert.equal(paths[0], paths[2]);
  assert.equal(sha256(paths[1] as Buffer), ref.hash);
  assert.deepEqual(reader.commands, ['GetObject']);
});

test('with the cache off every read downloads, and no copy stays behind once the pin has passed', async () => {
  const prefix = `nocache-${randomBytes(4).toString('hex')}/`;
  const writer = await store(prefix);
  const reader = await store(prefix, { cacheBytes: 0, cachePinMs: 300 });
  const ref = await writer.store.put(randomBytes(500), { mime: 'application/octet-stream' });
  await reader.store.get(ref.hash);
  const path = await reader.store.localPath(ref.hash);
  assert.equal(sha256(await readFile(path)), ref.hash, 'a path handed out is readable');
  await reader.store.localPath(ref.hash);
  assert.deepEqual(reader.commands, ['GetObject', 'GetObject', 'GetObject']);
  await new Promise((r) => setTimeout(r, 400));
  await reader.store.localPath(ref.hash);
  const files = (await readdir(reader.store.cache.dir)).filter((f) => f !== 'tmp');
  assert.equal(files.length, 1, `only the newest copy is left: ${files.join(', ')}`);
  assert.equal(reader.store.cache.bytes, 500);
});

test('a corrupted object never reaches a node: the download is checked against its sha256', async () => {
  const prefix = `corrupt-${randomBytes(4).toString('hex')}/`;
  const { store: s, client } = await store(prefix);
  const hash = sha256(Buffer.from('the real content'));
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${hash}`, Body: Buffer.from('something else') }));
  await assert.rejects(s.localPath(hash), /read back from the store as [0-9a-f]{64}: the stored object is corrupt/);
  assert.deepEqual((await readdir(s.cache.dir)).filter((f) => f !== 'tmp'), [], 'nothing left in the cache');
  const uncached = (await store(prefix, { cacheBytes: 0 })).store;
  await assert.rejects(uncached.get(hash), /the stored object is corrupt/, 'without a cache too');
});

test('a missing artifact is a clear error; has() says no', async () => {
  const { store: s } = await store(`missing-${randomBytes(4).toString('hex')}/`);
  const hash = sha256(Buffer.from('never stored'));
  assert.equal(await s.has(hash), false);
  await assert.rejects(s.get(hash), new RegExp(`artifact ${hash} is missing from the store`));
  await assert.rejects(s.createReadStream(hash), /is missing from the store/);
  await assert.rejects(s.get('../etc/passwd'), /not an artifact hash/);
});

test('putFile uploads a staged file once and keeps it as the local copy', async () => {
  const prefix = `putfile-${randomBytes(4).toString('hex')}/`;
  const { store: s, commands } = await store(prefix);
  const bytes = randomBytes(4096);
  const staged = join(s.stagingDir, 'one.upload');
  await writeFile(staged, bytes);
  const ref = await s.putFile(staged, sha256(bytes), bytes.length, { mime: 'image/jpeg' });
  assert.deepEqual(await readdir(s.stagingDir), [], 'the staged file moved');
  assert.deepEqual(await s.get(ref.hash), bytes);
  assert.deepEqual(commands, ['HeadObject', 'PutObject'], 'read back from the local copy');
});

test('a direct URL is a pre-signed GET that serves the bytes with the declared type; delete removes the object', async () => {
  const { store: s } = await store(`direct-${randomBytes(4).toString('hex')}/`);
  const bytes = randomBytes(300);
  const ref = await s.put(bytes, { mime: 'application/octet-stream' });
  const url = await s.directUrl(ref.hash, { mime: 'image/webp', expiresInS: 60 });
  assert.match(url ?? '', /X-Amz-Signature=[0-9a-f]{64}/);
  assert.match(url ?? '', /X-Amz-Expires=60/);
  const res = await fetch(url!);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/webp');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  await s.delete(ref.hash);
  assert.equal(await s.has(ref.hash), false);
  await assert.rejects(s.get(ref.hash), /is missing from the store/, 'the local copy went too');
  await s.delete(ref.hash); // not there: not an error
});

test('STORAGE_URL: a folder, a bucket with its settings, and clear errors for the rest', async () => {
  assert.deepEqual(parseStorageUrl('file:///srv/artifacts'), { kind: 'folder', dir: '/srv/artifacts' });
  assert.deepEqual(parseStorageUrl('s3://shots/prod?endpoint=http://minio:9000&region=eu-central-1', {}), {
    kind: 's3',
    bucket: 'shots',
    prefix: 'prod/',
    endpoint: 'http://minio:9000',
    region: 'eu-central-1',
    pathStyle: true,
  });
  assert.deepEqual(parseStorageUrl('s3://shots', { AWS_REGION: 'us-west-2' }), { kind: 's3', bucket: 'shots', prefix: '', region: 'us-west-2', pathStyle: false });
  assert.throws(() => parseStorageUrl('/srv/artifacts'), /STORAGE_URL is not a URL/);
  assert.throws(() => parseStorageUrl('gs://bucket'), /must start with file:\/\/ or s3:\/\//);
  assert.throws(() => parseStorageUrl('s3://key:secret@bucket'), /must not carry credentials/);
  assert.throws(() => parseStorageUrl('s3://bucket?endpiont=http://x'), /unknown setting endpiont/);
  assert.throws(() => parseStorageUrl('s3://bucket?endpoint=minio:9000'), /http\(s\) address/);
  const dir = await mkdtemp(join(tmpdir(), 'sf-open-'));
  dirs.push(dir);
  const opened = openArtifactStore({ storageUrl: s3.storageUrl('opened/'), storageDir: dir, storageCacheBytes: 2 ** 20 });
  const ref = await opened.put(Buffer.from('through the factory'), { mime: 'text/plain' });
  assert.equal((await opened.get(ref.hash)).toString(), 'through the factory');
  assert.ok((await opened.localPath(ref.hash)).startsWith(join(dir, `cache-${process.pid}`)), 'the cache is this process’s folder under STORAGE_DIR');
});
