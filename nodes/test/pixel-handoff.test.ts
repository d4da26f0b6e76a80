import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef, NodeContext, NodeDefinition, PortValue, PortValues } from '@studioflow/runtime/contract';
import { colourCorrectNode } from '../src/compose/colour-correct';
import { pixelCache } from '../src/image/pixel-cache';
import { decodeMask } from '../src/segment/product-mask';
import { decodeToRaw } from '../src/image/raw-image';
import { inputImageNode } from '../src/input/input-image';
import { segmentNode } from '../src/segment/segment';
import { studioCompositeNode } from '../src/compose/studio-composite';
import { NodeHarness, schemaDefaults } from '../src/testing/node-harness';
import { makeProductPhoto } from '../src/testing/synthetic-product';

/** Runs a node with a context that counts artifact reads. */
async function runCounting<P>(h: NodeHarness, def: NodeDefinition<P>, inputs: Record<string, PortValue>, params: Partial<P> = {}) {
  const ctx: NodeContext = h.context(def.type);
  let reads = 0;
  const access = ctx.artifacts;
  ctx.artifacts = { ...access, get: (ref) => (reads++, access.get(ref)), path: access.path.bind(access), put: access.put.bind(access) };
  const outputs: PortValues = await def.run(ctx, inputs, { ...schemaDefaults(def), ...params } as P);
  return { outputs, reads };
}

const ref = (v: PortValue | undefined): ArtifactRef => v as ArtifactRef;

describe('pixel handoff between nodes in one worker', () => {
  let h: NodeHarness;
  let upload: ArtifactRef;
  before(async () => {
    pixelCache.reset();
    pixelCache.clear();
    h = await NodeHarness.create();
    upload = await h.put((await makeProductPhoto({ seed: 11, width: 900, height: 700 })).jpeg, 'image/jpeg');
  });
  after(async () => {
    await h.close();
    delete process.env.STUDIOFLOW_PIXEL_CACHE_MB;
    pixelCache.reset();
  });

  it('passes decoded pixels on (no artifact reads), and they are exactly the stored PNGs', async () => {
    const a = await runCounting(h, inputImageNode, { upload });
    const b = await runCounting(h, segmentNode, { image: a.outputs.image });
    assert.equal(b.reads, 0, 'segment decoded its input instead of taking it from the handoff');
    const c = await runCounting(h, studioCompositeNode, { cutout: b.outputs.cutout });
    assert.equal(c.reads, 0);
    for (const r of [a.outputs.image, b.outputs.cutout, c.outputs.image]) {
      const cached = pixelCache.get(ref(r).hash)!;
      const fresh = await decodeToRaw(await h.get(ref(r)), 'check');
      assert.equal(cached.channels, fresh.channels);
      assert.ok(cached.data.equals(fresh.data), `cached pixels of ${ref(r).hash} differ from the stored PNG`);
    }
    for (const r of [b.outputs.mask, c.outputs.mask]) {
      const cached = pixelCache.get(ref(r).hash)!;
      const fresh = await decodeMask(await h.get(ref(r)), 'check');
      assert.equal(cached.channels, 1);
      assert.ok(Buffer.from(fresh.plane).equals(cached.data), 'cached mask differs from the stored PNG');
    }
  });

  it('gives a node that edits pixels in place its own copy: the shared pixels stay as stored', async () => {
    const a = await runCounting(h, inputImageNode, { upload });
    const b = await runCounting(h, segmentNode, { image: a.outputs.image });
    const c = await runCounting(h, studioCompositeNode, { cutout: b.outputs.cutout }, { background: 'solid', color: '#f3e6d0' });
    const shared = pixelCache.get(ref(c.outputs.image).hash)!;
    const before = Buffer.from(shared.data);
    const d = await runCounting(h, colourCorrectNode, { image: c.outputs.image, original: b.outputs.cutout, mask: c.outputs.mask }, { castLimit: 60 });
    assert.notEqual(ref(d.outputs.image).hash, ref(c.outputs.image).hash, 'colour-correct changed nothing, so this test proves nothing');
    assert.ok(shared.data.equals(before), 'colour-correct modified the shared pixels of its input');
  });

  it('gives the same artifacts with the handoff turned off', async () => {
    const chain = async () => {
      const a = await runCounting(h, inputImageNode, { upload });
      const b = await runCounting(h, segmentNode, { image: a.outputs.image });
      const c = await runCounting(h, studioCompositeNode, { cutout: b.outputs.cutout });
      return { hashes: [a, b, c].flatMap((x) => Object.values(x.outputs).map((v) => ref(v).hash)), reads: b.reads + c.reads };
    };
    const on = await chain();
    process.env.STUDIOFLOW_PIXEL_CACHE_MB = '0';
    pixelCache.reset();
    const off = await chain();
    assert.deepEqual(off.hashes, on.hashes);
    assert.equal(off.reads, 2, 'with the handoff off, segment and composite each read their input');
  });
});
