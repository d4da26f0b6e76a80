import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { colourCorrectNode } from './colour-correct';
import { deltaE2000 } from '../image/ciede2000';
import { rgbToLab } from '../image/lab';
import { inputImageNode } from '../input/input-image';
import { segmentNode } from '../segment/segment';
import { studioCompositeNode } from './studio-composite';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { maskOf, rawOf } from '../testing/support';

type Raw = Awaited<ReturnType<typeof rawOf>>;

/** Median colour of the outer 3% band and its spread between channels (0 = neutral grey). */
function borderCast(img: Raw): { rgb: number[]; spread: number } {
  const band = Math.round(0.03 * Math.min(img.width, img.height));
  const values: number[][] = [[], [], []];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (x >= band && x < img.width - band && y >= band && y < img.height - band) continue;
      for (let c = 0; c < 3; c++) values[c].push(img.data[(y * img.width + x) * img.channels + c]);
    }
  }
  const rgb = values.map((v) => v.sort((a, b) => a - b)[v.length >> 1]);
  return { rgb, spread: Math.max(...rgb) - Math.min(...rgb) };
}

/** Mean ΔE00 between two same-size images over the pixels where the mask is solid. */
function meanDeltaE(a: Raw, b: Raw, mask: Uint8Array): number {
  const la = new Float64Array(3), lb = new Float64Array(3);
  let sum = 0, n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] < 250) continue;
    const p = i * a.channels, q = i * b.channels;
    rgbToLab(a.data[p], a.data[p + 1], a.data[p + 2], la);
    rgbToLab(b.data[q], b.data[q + 1], b.data[q + 2], lb);
    sum += deltaE2000(la[0], la[1], la[2], lb[0], lb[1], lb[2]);
    n++;
  }
  return sum / n;
}

describe('colour-correct', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create();
  });
  after(() => h.close());

  const upload = async (bytes: Buffer) => (await h.runNode(inputImageNode, { upload: await h.put(bytes, 'image/jpeg') })).image as ArtifactRef;
  const correct = async (inputs: { image: ArtifactRef; original?: ArtifactRef; mask?: ArtifactRef }, params: Record<string, unknown> = {}) =>
    (await h.runNode(colourCorrectNode, inputs, params as never)).image as ArtifactRef;

  it('removes a warm colour cast from the backdrop (border → neutral)', async () => {
    const photo = await makeProductPhoto({ seed: 12, width: 900, height: 675, format: 'png' });
    const warm = await sharp(photo.jpeg).linear([1.0, 0.94, 0.82], [0, 0, 0]).jpeg({ quality: 92 }).toBuffer();
    const image = await upload(warm);
    const before = borderCast(await rawOf(h, image));
    const out = await correct({ image });
    const after = borderCast(await rawOf(h, out));
    console.log(`colour-correct: border ${before.rgb} (spread ${before.spread}) → ${after.rgb} (spread ${after.spread})`);
    assert.ok(before.spread >= 25, `the cast is there: ${before.spread}`);
    assert.ok(after.spread <= 3, `border is neutral: ${after.rgb}`);
    assert.equal((out.meta?.colourCorrection as { whiteBalance: { applied: boolean } }).whiteBalance.applied, true);
  });

  it('leaves a deliberately coloured backdrop alone', async () => {
    const photo = await makeProductPhoto({ seed: 5, width: 640, height: 480 });
    const cutout = (await h.runNode(segmentNode, { image: await upload(photo.jpeg) })).cutout as ArtifactRef;
    const blue = (await h.runNode(studioCompositeNode, { cutout }, { background: 'solid', color: '#336699' })).image as ArtifactRef;
    const out = await correct({ image: blue }, { levels: false });
    const [a, b] = [await rawOf(h, blue), await rawOf(h, out)];
    assert.deepEqual([...b.data.subarray(0, 3)], [0x33, 0x66, 0x99]);
    assert.ok(a.data.equals(b.data), 'no pixel changed');
    assert.match(JSON.stringify(out.meta?.colourCorrection), /coloured backdrop/);
  });

  it('segments the image itself when the mask belongs to another picture, and refuses a mismatched outline', async () => {
    const photo = await makeProductPhoto({ seed: 3, color: '#c0392b', width: 800, height: 600 });
    const seg = await h.runNode(segmentNode, { image: await upload(photo.jpeg) });
    const cutout = seg.cutout as ArtifactRef;
    const white = (await h.runNode(studioCompositeNode, { cutout }, {})).image as ArtifactRef;
    const out = await correct({ image: white, original: cutout, mask: seg.mask as ArtifactRef }, { levels: false });
    assert.ok(h.logs.some((l) => l.level === 'warn' && /mask does not match the image size/.test(l.msg)));
    assert.equal((out.meta?.colourCorrection as { matchProduct: { applied: boolean } }).matchProduct.applied, true);
    // A squashed product is not the same pixels: its statistics must not be transferred.
    const squashed = await h.put(await sharp(await h.get(cutout)).resize(cutout.width! * 2, cutout.height!, { fit: 'fill' }).png().toBuffer(), 'image/png');
    const wide = (await h.runNode(studioCompositeNode, { cutout: squashed }, {})).image as ArtifactRef;
    const refused = await correct({ image: wide, original: cutout }, { levels: false });
    assert.match(JSON.stringify(refused.meta?.colourCorrection), /outline in the image differs from the original/);
  });

  it('matchProduct pulls a hue-shifted product back to the original colour', async () => {
    const rows: string[] = [];
    for (const [seed, color] of [[3, '#c0392b'], [8, '#1f4e8c'], [6, '#2e7d4f']] as const) {
      const photo = await makeProductPhoto({ seed, color, width: 800, height: 600 });
      const image = await upload(photo.jpeg);
      const seg = await h.runNode(segmentNode, { image });
      const [cutout, mask] = [seg.cutout as ArtifactRef, seg.mask as ArtifactRef];
      const shiftedBytes = await sharp(await h.get(image)).modulate({ hue: 20 }).png().toBuffer();
      const shifted = await h.put(shiftedBytes, 'image/png');
      const fixed = await correct({ image: shifted, original: cutout, mask }, { whiteBalance: false, levels: false });
      const m = await maskOf(h, mask);
      const [orig, drifted, corrected] = [await rawOf(h, image), await rawOf(h, shifted), await rawOf(h, fixed)];
      const before = meanDeltaE(orig, drifted, m), after = meanDeltaE(orig, corrected, m);
      rows.push(`${color}: ΔE00 ${before.toFixed(2)} → ${after.toFixed(2)}`);
      assert.ok(after < before * 0.5 && after < 5, `${color}: ${before} → ${after}`);
    }
    console.log(`colour-correct matchProduct (hue +20°): ${rows.join('; ')}`);
  });
});
