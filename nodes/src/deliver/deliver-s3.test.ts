import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { deliverNode } from './deliver';
import { NodeHarness } from '../testing/node-harness';
import { rejectsPermanent } from '../testing/support';

interface Stored {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const ENV = ['STUDIOFLOW_S3_BUCKET', 'STUDIOFLOW_S3_ENDPOINT', 'STUDIOFLOW_S3_REGION', 'STUDIOFLOW_S3_PREFIX', 'STUDIOFLOW_S3_ACCESS_KEY_ID', 'STUDIOFLOW_S3_SECRET_ACCESS_KEY'];

/**
 * A stand-in for an S3 endpoint that lives only in this test: path-style PUT /bucket/key is stored
 * and answered with an ETag; buckets listed in `denied` answer 403 AccessDenied like S3 does.
 */
function fakeS3(objects: Stored[], denied: Set<string>): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent((req.url ?? '').split('?')[0]);
      if (req.method !== 'PUT') return void res.writeHead(405).end();
      if (denied.has(path.split('/')[1])) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      }
      const body = Buffer.concat(chunks);
      objects.push({ path, headers: req.headers, body });
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
    });
  });
}

describe('deliver to S3', () => {
  let h: NodeHarness;
  let server: Server;
  let endpoint: string;
  const objects: Stored[] = [];
  const denied = new Set(['locked']);
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let image: ArtifactRef;

  before(async () => {
    h = await NodeHarness.create({ run: { runId: 'run-s3', graphId: 'graph-s3' } });
    server = fakeS3(objects, denied);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800"><rect width="800" height="800" fill="#fff"/><rect x="200" y="150" width="400" height="500" fill="#c0392b"/></svg>';
    image = await h.put(await sharp(Buffer.from(svg)).removeAlpha().png().toBuffer(), 'image/png');
  });
  afterEach(() => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await h.close();
  });

  const configure = (bucket: string) => {
    process.env.STUDIOFLOW_S3_BUCKET = bucket;
    process.env.STUDIOFLOW_S3_ENDPOINT = endpoint;
    process.env.STUDIOFLOW_S3_ACCESS_KEY_ID = 'test-key';
    process.env.STUDIOFLOW_S3_SECRET_ACCESS_KEY = 'test-secret';
    process.env.STUDIOFLOW_S3_PREFIX = 'shots/';
  };

  it('uploads JPEG, WebP and thumbnail under their sha256 keys with content types and run metadata', async () => {
    configure('studio-out');
    const out = await h.runNode(deliverNode, { image }, {}, 'deliver');
    const files = { jpeg: out.jpeg as ArtifactRef, webp: out.webp as ArtifactRef, thumbnail: out.thumbnail as ArtifactRef };
    const ext = { jpeg: 'jpg', webp: 'webp', thumbnail: 'thumb.jpg' };
    assert.equal(objects.length, 3);
    for (const [name, ref] of Object.entries(files) as Array<[keyof typeof files, ArtifactRef]>) {
      const bytes = await h.get(ref);
      const sha = createHash('sha256').update(bytes).digest();
      const stored = objects.find((o) => o.path === `/studio-out/shots/${sha.toString('hex')}.${ext[name]}`);
      assert.ok(stored, `${name} stored under its sha256 (${objects.map((o) => o.path).join(', ')})`);
      assert.ok(stored.body.equals(bytes), `${name} bytes are the artifact's`);
      assert.equal(stored.headers['content-type'], ref.mime);
      assert.equal(stored.headers['x-amz-checksum-sha256'], sha.toString('base64'));
      assert.equal(stored.headers['x-amz-meta-run-id'], 'run-s3');
      assert.match(String(stored.headers.authorization), /^AWS4-HMAC-SHA256 Credential=test-key\//);
    }
    const report = out.report as { s3: { bucket: string; objects: Record<string, { key: string }> } };
    assert.equal(report.s3.bucket, 'studio-out');
    assert.match(report.s3.objects.jpeg.key, /^shots\/[0-9a-f]{64}\.jpg$/);
  });

  it('does not upload when no bucket is configured', async () => {
    const before = objects.length;
    const out = await h.runNode(deliverNode, { image }, {}, 'deliver');
    assert.equal(objects.length, before);
    assert.equal((out.report as Record<string, unknown>).s3, undefined);
  });

  it('turns access denied into a permanent error that names the bucket', async () => {
    configure('locked');
    await rejectsPermanent(h.runNode(deliverNode, { image }, {}, 'deliver'), /s3:\/\/locked .*failed: AccessDenied \(HTTP 403\)/);
  });
});
