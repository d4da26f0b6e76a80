import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { FRAME_SIZES, studioCompositeNode } from './studio-composite';
import { NodeHarness } from '../testing/node-harness';
import { rawOf } from '../testing/support';

/** A cut-out: a red bottle-ish rounded shape with a soft 1 px edge, on transparency. */
async function makeCutout(h: NodeHarness, w = 300, hgt = 600): Promise<ArtifactRef> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${hgt}"><rect x="20" y="20" width="${w - 40}" height="${hgt - 40}" rx="40" fill="#c0392b"/></svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return h.put(png, 'image/png');
}

describe('studio-composite', () => {
  let h: NodeHarness;
  let tall: ArtifactRef, wide: ArtifactRef;
  before(async () => {
    h = await NodeHarness.create();
    tall = await makeCutout(h, 300, 600);
    wide = await makeCutout(h, 900, 300);
  });
  after(() => h.close());

  // These small cut-outs would be enlarged past the 2× cap: the geometry tests lift it (the cap has its own test).
  const compose = async (cutout: ArtifactRef, params: Record<string, unknown> = {}) => {
    const out = await h.runNode(studioCompositeNode, { cutout }, { maxUpscale: 8, ...params } as never);
    const ref = out.image as ArtifactRef;
    return { ref, px: await rawOf(h, ref) };
  };

  it('never enlarges the product more than 2× by default: a small cut-out gives a smaller frame of the same aspect and fill', async () => {
    const small = await compose(tall, { maxUpscale: 2 });
    const meta = small.ref.meta as { sourceScale: { upscale: number; maxUpscale: number; neededUpscale?: number; frameWanted?: number[] }; fill: number };
    assert.equal(meta.sourceScale.upscale, 2);
    assert.ok(meta.sourceScale.neededUpscale! > 3, JSON.stringify(meta.sourceScale));
    assert.deepEqual(meta.sourceScale.frameWanted, [2048, 2048]);
    assert.equal(small.px.width, small.px.height, 'square as asked');
    assert.ok(small.px.width < 2048 * (2 / 3) && small.px.width > 1000, `frame ${small.px.width}`);
    assert.ok(Math.abs(meta.fill - 0.85) < 0.01, `fill ${meta.fill}`);
    const large = await makeCutout(h, 1000, 2000);
    const big = await compose(large, { maxUpscale: 2 });
    assert.equal(big.px.width, 2048, 'a cut-out large enough fills the full frame');
    assert.equal((big.ref.meta as { sourceScale: { neededUpscale?: number } }).sourceScale.neededUpscale, undefined);
  });

  it('white means exactly 255 away from the product: corners, borders, and above it', async () => {
    for (const cut of [tall, wide]) {
      const { ref, px } = await compose(cut, { shadow: 1, reflection: 1 });
      const { data, width: W, height: H } = px;
      assert.equal(px.channels, 3);
      const at = (x: number, y: number) => [data[(y * W + x) * 3], data[(y * W + x) * 3 + 1], data[(y * W + x) * 3 + 2]];
      for (const [x, y] of [[0, 0], [W - 1, 0], [0, H - 1], [W - 1, H - 1]]) assert.deepEqual(at(x, y), [255, 255, 255]);
      for (let x = 0; x < W; x++) for (const y of [0, H - 1]) assert.deepEqual(at(x, y), [255, 255, 255], `border ${x},${y}`);
      for (let y = 0; y < H; y++) for (const x of [0, W - 1]) assert.deepEqual(at(x, y), [255, 255, 255], `border ${x},${y}`);
      // Everything more than 5% of the frame above or beside the product body is untouched.
      const box = ref.meta?.productBox as { x: number; y: number; width: number; height: number };
      const m = Math.round(0.05 * W);
      let touched = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const far = y < box.y - m || x < box.x - m - Math.round(0.15 * box.width) || x > box.x + box.width + m + Math.round(0.15 * box.width);
          if (far && (data[(y * W + x) * 3] !== 255 || data[(y * W + x) * 3 + 1] !== 255 || data[(y * W + x) * 3 + 2] !== 255)) touched++;
        }
      }
      assert.equal(touched, 0);
    }
  });

  it('sizes the product to the fill ratio of the frame (the 85% rule), measured on the pixels', async () => {
    for (const [cut, size] of [[tall, '1:1-2048'], [wide, '1:1-2048'], [tall, '16:9-2048x1152'], [wide, '4:5-1600x2000']] as const) {
      const { ref, px } = await compose(cut, { shadow: 0, size });
      const [FW, FH] = FRAME_SIZES[size];
      assert.deepEqual([px.width, px.height, ref.width, ref.height], [FW, FH, FW, FH]);
      const b = nonWhiteBox(px.data, FW, FH);
      const ratio = Math.max(b.width / FW, b.height / FH);
      console.log(`studio-composite: ${size} product ${b.width}x${b.height} → fill ${ratio.toFixed(4)}`);
      assert.ok(Math.abs(ratio - 0.85) <= 0.005, `fill ${ratio}`);
      assert.ok(b.width / FW <= 0.855 && b.height / FH <= 0.855);
      // centred
      assert.ok(Math.abs(b.x + b.width / 2 - FW / 2) <= 2 && Math.abs(b.y + b.height / 2 - FH / 2) <= 2);
    }
    const { px } = await compose(tall, { shadow: 0, fill: 0.6 });
    const b = nonWhiteBox(px.data, 2048, 2048);
    assert.ok(Math.abs(b.height / 2048 - 0.6) <= 0.005);
  });

  it('thirds placement puts the product centre on the left third line', async () => {
    const { px } = await compose(tall, { shadow: 0, fill: 0.5, placement: 'thirds' });
    const b = nonWhiteBox(px.data, 2048, 2048);
    assert.ok(Math.abs(b.x + b.width / 2 - 2048 / 3) <= 2, `centre x ${b.x + b.width / 2}`);
  });

  it('draws a soft shadow under the product, and a reflection when asked', async () => {
    const plain = await compose(tall, { shadow: 0 });
    const shaded = await compose(tall, { shadow: 0.5 });
    const box = shaded.ref.meta?.productBox as { x: number; y: number; width: number; height: number };
    const below = (box.y + box.height + 4) * 2048 + box.x + Math.round(box.width / 2);
    assert.equal(plain.px.data[below * 3], 255);
    const v = shaded.px.data[below * 3];
    assert.ok(v < 235 && v > 60, `shadow under the base is ${v}`);
    const reflected = await compose(tall, { shadow: 0, reflection: 1 });
    const [r, g] = [reflected.px.data[below * 3], reflected.px.data[below * 3 + 1]];
    assert.ok(r > g + 20, `reflection is tinted by the red product (${r},${g})`);
  });

  it('paints solid, sweep and gradient backdrops', async () => {
    const solid = await compose(tall, { background: 'solid', color: '#336699', shadow: 0 });
    assert.deepEqual([...solid.px.data.subarray(0, 3)], [0x33, 0x66, 0x99]);
    const sweep = await compose(tall, { background: 'sweep', color: '#f0f0f0', secondColor: '#a0a0a0', shadow: 0 });
    const top = sweep.px.data[(5 * 2048 + 5) * 3], bottom = sweep.px.data[(2040 * 2048 + 5) * 3];
    assert.ok(Math.abs(top - 0xa0) <= 2 && Math.abs(bottom - 0xf0) <= 2, `sweep ${top} → ${bottom}`);
    const grad = await compose(tall, { background: 'gradient', color: '#ffffff', secondColor: '#8090a0', shadow: 0 });
    const corner = grad.px.data[0], nearCentreLeft = grad.px.data[(1024 * 2048 + 200) * 3];
    assert.ok(corner < nearCentreLeft && corner <= 0x90, `gradient corner ${corner}, centre-left ${nearCentreLeft}`);
  });

  it('rejects a non-image cut-out with a permanent error', async () => {
    const junk = await h.put(Buffer.from('junk'), 'image/png');
    await assert.rejects(h.runNode(studioCompositeNode, { cutout: junk }), (e: Error & { permanent?: boolean }) => e.permanent === true && /cut-out is not a supported image/.test(e.message));
  });

  it('rejects a fully transparent cut-out', async () => {
    const empty = await h.put(await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer(), 'image/png');
    await assert.rejects(h.runNode(studioCompositeNode, { cutout: empty }), (e: Error & { permanent?: boolean }) => e.permanent === true && /fully transparent/.test(e.message));
  });
});

function nonWhiteBox(data: Buffer, W: number, H: number) {
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      if (data[o] < 250 || data[o + 1] < 250 || data[o + 2] < 250) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
