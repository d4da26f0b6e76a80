import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { LocalArtifactStore } from '../src/artifacts';
import { defineNode, NodeCatalog } from '../src/contract';
import { runGraphLocally } from '../src/local';

test('the local runner times a node out through the signal the node sees', async () => {
  let aborted = false;
  const slow = defineNode({
    type: 'slow',
    version: 1,
    title: 'Slow',
    category: 'test',
    description: 'Waits until aborted',
    resource: 'cpu',
    inputs: [],
    outputs: [{ name: 'out', type: 'report' }],
    params: Type.Object({}),
    cacheable: false,
    async run(ctx) {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      aborted = true;
      return { out: {} };
    },
  });
  const result = await runGraphLocally(
    { nodes: [{ id: 's', type: 'slow', timeoutMs: 100 }], edges: [] },
    { catalog: new NodeCatalog([slow]), artifacts: new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-local-'))) },
  );
  assert.match(result.error ?? '', /s: timed out/);
  assert.equal(aborted, true, 'the node saw its signal abort and stopped');
});
