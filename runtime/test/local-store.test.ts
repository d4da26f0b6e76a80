import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../src/artifacts';

test('putFile moves a staged file into its content address, and drops a staged duplicate', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-store-'));
  try {
    const store = new LocalArtifactStore(dir);
    await mkdir(store.stagingDir, { recursive: true });
    const bytes = Buffer.from('a staged upload');
    const hash = createHash('sha256').update(bytes).digest('hex');
    const first = join(store.stagingDir, 'one.upload');
    await writeFile(first, bytes);
    const ref = await store.putFile(first, hash, bytes.length, { mime: 'image/png', width: 4, height: 3 });
    assert.deepEqual(ref, { hash, mime: 'image/png', bytes: bytes.length, width: 4, height: 3 });
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes);
    assert.deepEqual(await store.get(hash), bytes, 'readable like any put artifact');

    const second = join(store.stagingDir, 'two.upload');
    await writeFile(second, bytes);
    await store.putFile(second, hash, bytes.length, { mime: 'image/png' });
    assert.deepEqual(await readdir(store.stagingDir), [], 'both staged files are gone');
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
