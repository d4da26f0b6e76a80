import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { deliverNode } from './deliver';
import { NodeHarness } from '../testing/node-harness';

describe('deliver', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create({ run: { runId: 'run-7f3c', graphId: 'graph-42', graphVersion: 3, templateId: 'white-studio' } });
  });
  after(() => h.close());

  it('writes decodable JPEG, WebP and thumbnail, sRGB-tagged, with the run traced in XMP and no EXIF', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1200"><rect width="1200" height="1200" fill="#fff"/><circle cx="600" cy="600" r="400" fill="#1f4e8c"/></svg>';
    const input = await h.put(await sharp(Buffer.from(svg)).removeAlpha().png().toBuffer(), 'image/png', { digitalSourceType: 'compositeSynthetic' });
    const out = await h.runNode(deliverNode, { image: input }, {}, 'deliver');
    const jpeg = out.jpeg as ArtifactRef, webp = out.webp as ArtifactRef, thumb = out.thumbnail as ArtifactRef;
    assert.equal(jpeg.mime, 'image/jpeg');
    assert.equal(webp.mime, 'image/webp');
    for (const [ref, format] of [[jpeg, 'jpeg'], [webp, 'webp']] as const) {
      const bytes = await h.get(ref);
      const meta = await sharp(bytes).metadata();
      assert.equal(meta.format, format);
      assert.deepEqual([meta.width, meta.height], [1200, 1200]);
      assert.equal(meta.exif, undefined, `${format} carries no EXIF`);
      assert.ok(meta.icc && meta.icc.length > 0, `${format} is tagged with an ICC profile`);
      assert.equal(meta.space, 'srgb');
      const xmp = meta.xmp?.toString('utf8') ?? '';
      for (const s of ['run-7f3c', 'graph-42', 'sf:GraphVersion="3"', 'white-studio', 'sf:NodeId="deliver"', 'digitalsourcetype/compositeSynthetic']) {
        assert.ok(xmp.includes(s), `${format} XMP has ${s}`);
      }
      const { info, data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
      const c = (600 * 1200 + 600) * 3;
      assert.ok(Math.abs(data[c] - 0x1f) < 8 && Math.abs(data[c + 2] - 0x8c) < 8, `${format} centre colour ${data[c]},${data[c + 1]},${data[c + 2]}`);
    }
    const tmeta = await sharp(await h.get(thumb)).metadata();
    assert.equal(tmeta.format, 'jpeg');
    assert.deepEqual([tmeta.width, tmeta.height, thumb.width, thumb.height], [384, 384, 384, 384]);
    const report = out.report as Record<string, unknown>;
    assert.equal(report.runId, 'run-7f3c');
    assert.equal(report.jpegBytes, jpeg.bytes);
    assert.equal(jpeg.meta?.runId, 'run-7f3c');
  });

  it('rejects a non-image input with a permanent error', async () => {
    const junk = await h.put(Buffer.alloc(0), 'image/png');
    await assert.rejects(h.runNode(deliverNode, { image: junk }), (e: Error & { permanent?: boolean }) => e.permanent === true && /image to deliver is empty/.test(e.message));
  });

  it('flattens a transparent input onto white for JPEG and keeps alpha in WebP', async () => {
    const rgba = await sharp({ create: { width: 100, height: 50, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const out = await h.runNode(deliverNode, { image: await h.put(rgba, 'image/png') }, { thumbnailSize: 64, digitalSourceType: 'trainedAlgorithmicMedia' });
    const jpeg = await sharp(await h.get(out.jpeg as ArtifactRef)).raw().toBuffer();
    assert.deepEqual([...jpeg.subarray(0, 3)].map((v) => v > 250), [true, true, true]);
    const webpMeta = await sharp(await h.get(out.webp as ArtifactRef)).metadata();
    assert.equal(webpMeta.hasAlpha, true);
    assert.ok(webpMeta.xmp?.toString().includes('digitalsourcetype/trainedAlgorithmicMedia'));
    assert.deepEqual([(out.thumbnail as ArtifactRef).width, (out.thumbnail as ArtifactRef).height], [64, 32]);
  });
});
