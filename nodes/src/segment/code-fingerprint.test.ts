import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeNode } from '@studioflow/runtime/contract';
import { segmentCodeFingerprint } from './code-fingerprint';
import { segmentNode } from './segment';

describe('segment code fingerprint (execution-cache salt)', () => {
  it('is part of the segment node type, so a cached cut-out from other matte code is not reused', () => {
    assert.match(describeNode(segmentNode).cacheSalt ?? '', /^[0-9a-f]{8}$/);
  });

  it('changes with the matte code and not with its tests', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segment-code-'));
    try {
      await cp(__dirname, dir, { recursive: true });
      const before = segmentCodeFingerprint([dir]);
      const test = (await readdir(dir)).find((f) => f.endsWith('.test.js'));
      assert.ok(test, 'the copy holds a compiled test');
      await appendFile(join(dir, test), '\n// a test edit\n');
      assert.equal(segmentCodeFingerprint([dir]), before, 'a test edit keeps cached cut-outs');
      await writeFile(join(dir, 'graph-cut-matte.js'), '// another matte\n');
      assert.notEqual(segmentCodeFingerprint([dir]), before, 'other matte code is another cache key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
