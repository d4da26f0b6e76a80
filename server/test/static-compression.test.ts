/**
 * The web apps and the API answer compressed where it pays: the build's precompressed .br/.gz assets
 * are picked by Accept-Encoding with the original's type, hashed assets are cached for a year,
 * the pages revalidate, API JSON above 1 KB is compressed on the fly, and images, small answers and
 * ranged requests are sent as they are. Needs the built editor (npm run build -w editor).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { makeProductPhoto } from '@studioflow/nodes/testing';
import { loadConfig } from '../src/config/config';
import { api, startTestApp, type TestApp } from './support/test-app';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One GET with exactly these headers; the body as sent on the wire (fetch would decode it). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = (a: RawAnswer): Buffer =>
  a.headers['content-encoding'] === 'br' ? brotliDecompressSync(a.body) : a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.body;
const varies = (a: RawAnswer) => String(a.headers.vary ?? '').toLowerCase().includes('accept-encoding');

const editorDir = loadConfig().editorDir;
let t: TestApp;
/** The editor's largest JavaScript chunk, as named in the build. */
let bigScript = '';
let bigScriptBytes: Buffer;
/** A source map: compressible, but not precompressed by the build. */
let sourceMap = '';

before(async () => {
  assert.ok(existsSync(join(editorDir, 'index.html')), `${editorDir}/index.html is missing: build the editor first (npm run build -w editor)`);
  const assets = readdirSync(join(editorDir, 'assets'));
  const scripts = assets.filter((f) => f.endsWith('.js') && assets.includes(`${f}.br`) && assets.includes(`${f}.gz`));
  assert.ok(scripts.length > 0, 'the build wrote .br and .gz copies of its scripts');
  bigScript = scripts.sort((a, b) => readFileSync(join(editorDir, 'assets', b)).length - readFileSync(join(editorDir, 'assets', a)).length)[0];
  bigScriptBytes = readFileSync(join(editorDir, 'assets', bigScript));
  sourceMap = assets.find((f) => f.endsWith('.js.map') && !assets.includes(`${f}.gz`))!;
  assert.ok(sourceMap, 'a source map without a precompressed copy');
  t = await startTestApp('staticcompress');
});
after(async () => t?.stop());

test('a hashed asset is sent as brotli or gzip as accepted, with its own type, Vary, and a year of immutable caching', async () => {
  const url = `${t.baseUrl}/assets/${bigScript}`;
  for (const [accept, encoding] of [
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['identity', undefined],
    ['', undefined],
  ] as const) {
    const res = await rawGet(url, accept ? { 'Accept-Encoding': accept } : {});
    assert.equal(res.status, 200, accept);
    assert.equal(res.headers['content-encoding'], encoding, `Accept-Encoding: ${accept}`);
    assert.match(String(res.headers['content-type']), /^(text|application)\/javascript/, accept);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', accept);
    assert.ok(varies(res), `Vary: Accept-Encoding (${accept})`);
    if (encoding) assert.ok(res.body.length < bigScriptBytes.length / 2, `${encoding}: ${res.body.length} of ${bigScriptBytes.length} bytes`);
    assert.ok(decode(res).equals(bigScriptBytes), `the decoded body is the built file (${accept})`);
  }
  const css = readdirSync(join(editorDir, 'assets')).find((f) => f.endsWith('.css') && existsSync(join(editorDir, 'assets', `${f}.br`)))!;
  const style = await rawGet(`${t.baseUrl}/assets/${css}`, { 'Accept-Encoding': 'br' });
  assert.equal(style.headers['content-encoding'], 'br');
  assert.match(String(style.headers['content-type']), /^text\/css/);
});

test('every app page and its client-side routes answer its index.html, compressed and revalidated on each visit', async () => {
  const pages: Array<[string, string]> = [
    ['/', 'Studioflow editor'],
    ['/index.html', 'Studioflow editor'],
    ['/some/editor/route', 'Studioflow editor'],
    ['/app', 'Studioflow — shoots'],
    ['/app/', 'Studioflow — shoots'],
    ['/app/shoots/abc', 'Studioflow — shoots'],
    ['/review', 'Studioflow — review'],
    ['/review/accept?token=x', 'Studioflow — review'],
  ];
  for (const [path, title] of pages) {
    for (const accept of ['br, gzip', '']) {
      let res = await rawGet(`${t.baseUrl}${path}`, accept ? { 'Accept-Encoding': accept } : {});
      // /app → /app/ is the static server's directory redirect, as before.
      if (res.status === 301 || res.status === 302) res = await rawGet(`${t.baseUrl}${res.headers.location}`, accept ? { 'Accept-Encoding': accept } : {});
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-encoding'], accept ? 'br' : undefined, `${path} (${accept || 'no Accept-Encoding'})`);
      assert.match(String(res.headers['content-type']), /^text\/html/, path);
      assert.equal(res.headers['cache-control'], 'no-cache', path);
      assert.ok(decode(res).toString('utf8').includes(`<title>${title}</title>`), `${path} is ${title}`);
    }
  }
  const missing = await rawGet(`${t.baseUrl}/assets/gone-0000.js`, { 'Accept-Encoding': 'br' });
  assert.equal(missing.status, 404, 'a missing asset is a 404, not a page');
});

test('API JSON above 1 KB is compressed on the fly; small answers are not', async () => {
  const big = await rawGet(`${t.baseUrl}/api/v1/node-types`, { 'Accept-Encoding': 'gzip', Authorization: `Bearer ${t.staffKey}` });
  assert.equal(big.status, 200);
  assert.match(String(big.headers['content-type']), /^application\/json/);
  assert.equal(big.headers['content-encoding'], 'gzip');
  assert.ok(varies(big), 'Vary: Accept-Encoding');
  const json = decode(big);
  assert.ok(json.length > 1024 && big.body.length < json.length / 2, `${big.body.length} bytes on the wire for ${json.length}`);
  assert.ok(Array.isArray(JSON.parse(json.toString('utf8'))), 'the decoded body is the JSON list');
  const plain = await rawGet(`${t.baseUrl}/api/v1/node-types`, { Authorization: `Bearer ${t.staffKey}` });
  assert.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding, no compression');
  assert.ok(plain.body.equals(json));

  const small = await rawGet(`${t.baseUrl}/api/v1/me`, { 'Accept-Encoding': 'gzip', Authorization: `Bearer ${t.staffKey}` });
  assert.equal(small.status, 200);
  assert.ok(small.body.length < 1024, `${small.body.length} bytes`);
  assert.equal(small.headers['content-encoding'], undefined, 'under the threshold');
});

test('images are sent as they are, and ranged requests get exactly their bytes, uncompressed', async () => {
  const photo = await makeProductPhoto({ seed: 23, width: 480, height: 360, kind: 'bottle' });
  const body = new FormData();
  body.set('image', new Blob([new Uint8Array(photo.jpeg)], { type: 'image/jpeg' }), 'photo.jpg');
  body.set('templateId', 'white-studio');
  const submitted = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  let results: Record<string, string> | undefined;
  for (const end = Date.now() + 180_000; !results; ) {
    const res = await api(t, `/api/shoots/${submitted.body.runId}`, { key: t.userKey });
    if (res.body.status === 'completed') results = res.body.results;
    else assert.ok(!['failed', 'cancelled'].includes(res.body.status), `the shoot ended ${res.body.status}: ${res.body.error}`);
    assert.ok(Date.now() < end, `the shoot is still ${res.body.status} after 180 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const kinds = Object.keys(results!).filter((k) => ['jpeg', 'png', 'webp'].includes(k));
  assert.ok(kinds.includes('jpeg'), `results: ${Object.keys(results!).join(', ')}`);
  for (const kind of kinds) {
    const image = await rawGet(`${t.baseUrl}${results![kind]}`, { 'Accept-Encoding': 'gzip, br' });
    assert.equal(image.status, 200, kind);
    assert.equal(image.headers['content-type'], `image/${kind}`);
    assert.equal(image.headers['content-encoding'], undefined, `${kind} is not compressed again`);
  }

  const mapBytes = readFileSync(join(editorDir, 'assets', sourceMap));
  const whole = await rawGet(`${t.baseUrl}/assets/${sourceMap}`, { 'Accept-Encoding': 'gzip' });
  assert.equal(whole.headers['content-encoding'], 'gzip', 'a compressible file without a precompressed copy is compressed on the fly');
  assert.ok(decode(whole).equals(mapBytes));
  const ranged = await rawGet(`${t.baseUrl}/assets/${sourceMap}`, { 'Accept-Encoding': 'gzip', Range: 'bytes=100-1123' });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers['content-encoding'], undefined, 'a ranged answer is not compressed');
  assert.equal(ranged.headers['content-range'], `bytes 100-1123/${mapBytes.length}`);
  assert.ok(ranged.body.equals(mapBytes.subarray(100, 1124)), 'exactly the asked bytes');
  const scriptRange = await rawGet(`${t.baseUrl}/assets/${bigScript}`, { Range: 'bytes=0-511' });
  assert.equal(scriptRange.status, 206);
  assert.ok(scriptRange.body.equals(bigScriptBytes.subarray(0, 512)));
});

test('each app page loads only its own code: no canvas library or schema validator in the shoot app or the review console, no dialogs up front in the editor', () => {
  const initial = (page: string) => [...readFileSync(join(editorDir, page), 'utf8').matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
  const editor = initial('index.html');
  assert.ok(editor.some((f) => f.startsWith('xyflow-')) && editor.some((f) => f.startsWith('schema-')), `the editor preloads xyflow and the validator: ${editor.join(', ')}`);
  assert.ok(!editor.some((f) => /^(PublishDialog|HistoryPanel|RunPanel)-/.test(f)), `dialogs and side tabs load later: ${editor.join(', ')}`);
  for (const page of ['app/index.html', 'review/index.html']) {
    const files = initial(page);
    assert.ok(files.some((f) => f.startsWith('react-')), `${page}: ${files.join(', ')}`);
    assert.ok(!files.some((f) => /^(xyflow|schema)-/.test(f)), `${page} loads no editor-only chunk: ${files.join(', ')}`);
  }
  assert.ok(!initial('app/index.html').some((f) => f.startsWith('socket-')), 'the shoot app loads the Socket.IO client only with a page that follows a shoot');
});
