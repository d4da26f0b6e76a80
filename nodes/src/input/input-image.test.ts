import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { inputImageNode } from './input-image';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { pngClaiming, rawOf, rejectsPermanent } from '../testing/support';

describe('input-image', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create();
  });
  after(() => h.close());

  const run = async (bytes: Buffer, params: { maxSide?: number } = {}) => {
    const upload = await h.put(bytes, 'application/octet-stream');
    const out = await h.runNode(inputImageNode, { upload }, params);
    return out.image as import('@studioflow/runtime/contract').ArtifactRef;
  };

  it('decodes a JPEG to an 8-bit sRGB PNG with its size in the ref', async () => {
    const photo = await makeProductPhoto({ seed: 1, width: 800, height: 600 });
    const ref = await run(photo.jpeg);
    assert.equal(ref.mime, 'image/png');
    assert.equal(ref.width, 800);
    assert.equal(ref.height, 600);
    const meta = await sharp(await h.get(ref)).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.channels, 3);
    assert.equal(meta.depth, 'uchar');
    assert.equal(ref.meta?.originalFormat, 'jpeg');
  });

  it('downsizes to maxSide, keeping the aspect ratio, and never upscales', async () => {
    const photo = await makeProductPhoto({ seed: 2, width: 3000, height: 2000 });
    const ref = await run(photo.jpeg);
    assert.deepEqual([ref.width, ref.height], [2048, 1365]);
    const small = await run(photo.jpeg, { maxSide: 512 });
    assert.deepEqual([small.width, small.height], [512, 341]);
    const tiny = await run(await sharp({ create: { width: 40, height: 30, channels: 3, background: '#abc' } }).png().toBuffer());
    assert.deepEqual([tiny.width, tiny.height], [40, 30]);
  });

  it('applies EXIF orientation (all eight)', async () => {
    const upright = await makeProductPhoto({ seed: 3, width: 240, height: 160, noise: 0, format: 'png' });
    const want = await sharp(upright.jpeg).raw().toBuffer();
    for (let o = 1; o <= 8; o++) {
      const rotated = await makeProductPhoto({ seed: 3, width: 240, height: 160, noise: 0, orientation: o, quality: 100 });
      const ref = await run(rotated.jpeg);
      assert.deepEqual([ref.width, ref.height], [240, 160], `orientation ${o}`);
      const got = await rawOf(h, ref);
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff += Math.abs(want[i] - got.data[i]);
      assert.ok(diff / want.length < 3, `orientation ${o}: mean abs diff ${(diff / want.length).toFixed(2)}`);
    }
  });

  it('converts CMYK, 16-bit and greyscale to 8-bit sRGB', async () => {
    const base = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 30 } } });
    const cmyk = await base.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const fromCmyk = await rawOf(h, await run(cmyk));
    assert.equal(fromCmyk.channels, 3);
    const [r, g, b] = fromCmyk.data;
    assert.ok(r > 150 && g < 100 && b < 100, `CMYK red came back as ${r},${g},${b}`);

    const sixteen = await base.clone().toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(sixteen).metadata()).depth, 'ushort');
    const ref16 = await run(sixteen);
    const meta16 = await sharp(await h.get(ref16)).metadata();
    assert.equal(meta16.depth, 'uchar');
    const px16 = await rawOf(h, ref16);
    assert.ok(Math.abs(px16.data[0] - 200) <= 2 && Math.abs(px16.data[1] - 40) <= 2, `16-bit pixel ${px16.data[0]},${px16.data[1]}`);

    const grey = await base.clone().greyscale().png().toBuffer();
    const g8 = await rawOf(h, await run(grey));
    assert.equal(g8.channels, 3);
    assert.equal(g8.data[0], g8.data[1]);
  });

  it('keeps a meaningful alpha channel and drops an all-opaque one', async () => {
    const rgba = Buffer.alloc(32 * 32 * 4);
    for (let i = 0; i < 32 * 32; i++) rgba.set([10, 200, 30, i % 32 < 16 ? 255 : 0], i * 4);
    const transparent = await sharp(rgba, { raw: { width: 32, height: 32, channels: 4 } }).png().toBuffer();
    const kept = await run(transparent);
    assert.equal(kept.meta?.hasAlpha, true);
    assert.equal((await sharp(await h.get(kept)).metadata()).channels, 4);

    const opaque = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 1 } } }).png().toBuffer();
    const dropped = await run(opaque);
    assert.equal(dropped.meta?.hasAlpha, false);
    assert.equal((await sharp(await h.get(dropped)).metadata()).channels, 3);
  });

  it('rejects missing, empty, non-image, corrupt, too small and over-limit input with clear permanent errors', async () => {
    await rejectsPermanent(h.runNode(inputImageNode, {} as never), /no value arrived on input "upload"/);
    await rejectsPermanent(run(Buffer.alloc(0)), /empty \(0 bytes\)/);
    await rejectsPermanent(run(Buffer.from('this is a text file, not a photo')), /not a supported image/);
    const jpeg = (await makeProductPhoto({ seed: 4, width: 400, height: 300 })).jpeg;
    await rejectsPermanent(run(jpeg.subarray(0, Math.floor(jpeg.length / 2))), /corrupt or truncated/);
    const badHeader = Buffer.from(jpeg);
    const dht = badHeader.indexOf(Buffer.from([0xff, 0xc4]));
    badHeader.fill(0xff, dht + 5, dht + 40);
    await rejectsPermanent(run(badHeader), /corrupt or truncated.*Huffman/);
    await rejectsPermanent(run(await sharp({ create: { width: 15, height: 200, channels: 3, background: '#fff' } }).png().toBuffer()), /too small \(15x200\)/);
    await rejectsPermanent(run(await sharp({ create: { width: 4000, height: 20, channels: 3, background: '#fff' } }).png().toBuffer()), /too elongated \(4000x20\)/);
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic', 'latin1'), Buffer.alloc(40)]);
    await rejectsPermanent(run(heic), /HEIC, which is not supported yet/);
    const bomb = pngClaiming(20000, 20000);
    assert.ok(bomb.length < 100);
    await rejectsPermanent(run(bomb), /too large: more than 50 megapixels/);
  });

  it('rejects damaged entropy data only when STUDIOFLOW_DECODE_FAIL_ON=warning', async () => {
    const jpeg = (await makeProductPhoto({ seed: 5, width: 400, height: 300 })).jpeg;
    const garbage = Buffer.from(jpeg);
    for (let i = 600; i < garbage.length - 2; i += 7) garbage[i] ^= 0x5a;
    assert.equal((await run(garbage)).width, 400); // libjpeg only warns: accepted at the default level
    process.env.STUDIOFLOW_DECODE_FAIL_ON = 'warning';
    try {
      await rejectsPermanent(run(garbage), /corrupt or truncated.*Corrupt JPEG data/);
    } finally {
      delete process.env.STUDIOFLOW_DECODE_FAIL_ON;
    }
  });

  it('takes the pixel limit from STUDIOFLOW_MAX_PIXELS', async () => {
    const before = process.env.STUDIOFLOW_MAX_PIXELS;
    process.env.STUDIOFLOW_MAX_PIXELS = String(100 * 100);
    try {
      await rejectsPermanent(run(await sharp({ create: { width: 101, height: 100, channels: 3, background: '#fff' } }).png().toBuffer()), /too large: more than 10000 pixels/);
      const ok = await run(await sharp({ create: { width: 100, height: 100, channels: 3, background: '#fff' } }).png().toBuffer());
      assert.equal(ok.width, 100);
    } finally {
      if (before === undefined) delete process.env.STUDIOFLOW_MAX_PIXELS;
      else process.env.STUDIOFLOW_MAX_PIXELS = before;
    }
  });
});
