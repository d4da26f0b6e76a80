import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { ResilientPool } from '../src/store';

/**
 * The race that ended the API in CI, made deterministic: a loopback proxy in front of PostgreSQL
 * delivers the server's first ReadyForQuery and a FATAL "terminating connection" in one chunk, as a
 * backend terminated right after start-up does. The connection is handed to its borrower and dies
 * in the same tick, before the borrower can listen for its errors.
 */
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
let proxy: Server;
let dieAfterStartup = true;

before(async () => {
  proxy = createServer((client) => relay(client));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

function relay(client: Socket): void {
  const server = connect(PG_PORT, PG_HOST);
  const killThisOne = dieAfterStartup;
  let pending = Buffer.alloc(0);
  let startedUp = false;
  client.on('data', (chunk) => server.write(chunk));
  server.on('data', (chunk) => {
    if (!killThisOne || startedUp) return void client.write(chunk);
    pending = Buffer.concat([pending, chunk]);
    const end = endOfFirstReadyForQuery(pending);
    if (end < 0) return;
    startedUp = true;
    client.end(Buffer.concat([pending.subarray(0, end), fatalTerminated()]));
    server.destroy();
  });
  for (const s of [client, server]) s.on('error', () => undefined).on('close', () => { client.destroy(); server.destroy(); });
}

/** Byte offset just past the first 'Z' (ReadyForQuery) message of the server's stream, or -1. */
function endOfFirstReadyForQuery(buf: Buffer): number {
  let at = 0;
  while (at + 5 <= buf.length) {
    const end = at + 1 + buf.readInt32BE(at + 1);
    if (end > buf.length) return -1;
    if (buf[at] === 0x5a) return end;
    at = end;
  }
  return -1;
}

/** An ErrorResponse as PostgreSQL sends it to a backend ended by pg_terminate_backend. */
function fatalTerminated(): Buffer {
  const fields = [['S', 'FATAL'], ['V', 'FATAL'], ['C', '57P01'], ['M', 'terminating connection due to administrator command']];
  const body = Buffer.concat([...fields.map(([k, v]) => Buffer.from(`${k}${v}\0`)), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('E');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

test('a connection that dies in the tick it is handed out fails its borrower, not the process, and the pool recovers', async () => {
  const port = (proxy.address() as AddressInfo).port;
  const pool = new ResilientPool({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 2 });
  const poolErrors: Error[] = [];
  pool.on('error', (err) => poolErrors.push(err));
  try {
    for (let i = 0; i < 5; i++) {
      dieAfterStartup = true;
      const client = await pool.connect();
      await assert.rejects(client.query('SELECT 1'), /not queryable|terminat/i, 'the borrower learns that its connection is gone');
      client.release(true);
      const deadOnes = pool.totalCount;
      assert.equal(deadOnes, 0, 'the dead connection is not kept');
      await assert.rejects(pool.query('SELECT 1'), /terminat|not queryable/i, 'pool.query through a dying connection fails cleanly too');
    }
    dieAfterStartup = false;
    const ok = await pool.query('SELECT 41 + 1 AS answer');
    assert.equal(ok.rows[0].answer, 42, 'a fresh connection works afterwards');
  } finally {
    await pool.end();
  }
});
