import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageNode } from '../input/input-image';
import { marketplaceComplianceNode } from './marketplace-compliance';
import { segmentNode } from '../segment/segment';
import { studioCompositeNode } from '../compose/studio-composite';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { rawOf } from '../testing/support';

interface Report {
  pass: boolean;
  checks: Array<{ id: string; pass: boolean; severity: string; measured: unknown; message: string }>;
  fixed: string[];
}

describe('marketplace-compliance', () => {
  let h: NodeHarness;
  let cutout: ArtifactRef;
  let photo: Buffer;
  before(async () => {
    h = await NodeHarness.create();
    photo = (await makeProductPhoto({ seed: 14, kind: 'box', width: 1200, height: 900 })).jpeg;
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo, 'image/jpeg') })).image as ArtifactRef;
    cutout = (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
  });
  after(() => h.close());

  // The photo's product would be enlarged past the 2× cap for a 2048 frame: these tests lift it (the cap has its own test).
  const composite = async (params: Record<string, unknown> = {}) => (await h.runNode(studioCompositeNode, { cutout }, { maxUpscale: 8, ...params } as never)).image as ArtifactRef;
  const check = async (image: ArtifactRef, marketplace: string, autoFix = false) => {
    const out = await h.runNode(marketplaceComplianceNode, { image }, { marketplace, autoFix } as never);
    return { image: out.image as ArtifactRef, mask: out.mask as ArtifactRef | null, report: out.report as unknown as Report };
  };
  const failed = (r: Report) => r.checks.filter((c) => !c.pass && c.severity === 'required').map((c) => c.id);
  const put = async (s: sharp.Sharp, mime = 'image/png') => h.put(await s.toBuffer(), mime);

  it('says the source is too small for Amazon when the 2× cap left the shot under 1000 px, and autoFix does not enlarge it past the cap', async () => {
    const small = (await makeProductPhoto({ seed: 15, kind: 'box', width: 512, height: 384 })).jpeg;
    const image = (await h.runNode(inputImageNode, { upload: await h.put(small, 'image/jpeg') })).image as ArtifactRef;
    const cut = (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
    const shot = (await h.runNode(studioCompositeNode, { cutout: cut }, {} as never)).image as ArtifactRef;
    assert.ok(shot.width! < 1000, `a 512 px photo gives a ${shot.width} px shot, not a soft 2048 one`);
    const { report } = await check(shot, 'amazon');
    const size = report.checks.find((c) => c.id === 'min-size')!;
    assert.equal(size.pass, false);
    assert.match(size.message, /^source too small for Amazon main image: longest side \d+ px; Amazon main image needs at least 1000 px \(send a larger photo, or add an upscaler model\)/);
    const fixed = await check(shot, 'amazon', true);
    assert.ok(fixed.image.width! < 1000, `autoFix kept the cap (${fixed.image.width} px)`);
    assert.ok(failed(fixed.report).includes('min-size'), 'still too small, and said so');
    // Without a cap recorded (an image from elsewhere), too small is just too small.
    const plain = await check(await put(sharp({ create: { width: 800, height: 800, channels: 3, background: '#ffffff' } }).composite([{ input: await sharp({ create: { width: 400, height: 600, channels: 3, background: '#c0392b' } }).png().toBuffer(), left: 200, top: 100 }]).png()), 'amazon');
    assert.match(plain.report.checks.find((c) => c.id === 'min-size')!.message, /^longest side 800 px/);
  });

  it('passes a studio-composite white output for Amazon, with or without a strong shadow', async () => {
    for (const params of [{}, { shadow: 1, reflection: 0.5 }, { size: '4:5-1600x2000' }]) {
      const white = await composite(params);
      const { image, report } = await check(white, 'amazon', true);
      assert.ok(report.pass, `${JSON.stringify(params)}: ${failed(report)} ${JSON.stringify(report.checks)}`);
      assert.equal(image.hash, white.hash, 'nothing to fix: the input passes through');
      assert.deepEqual(report.fixed, []);
    }
  });

  it('measures with the composite\'s own mask when given, and passes it through', async () => {
    const out = await h.runNode(studioCompositeNode, { cutout }, {} as never);
    const [image, mask] = [out.image as ArtifactRef, out.mask as ArtifactRef];
    const res = await h.runNode(marketplaceComplianceNode, { image, mask }, { marketplace: 'amazon', autoFix: true } as never);
    const report = res.report as unknown as Report;
    assert.ok(report.pass);
    assert.equal((res.mask as ArtifactRef).hash, mask.hash);
    const fill = report.checks.find((c) => c.id === 'product-fill')!.measured as number;
    assert.ok(Math.abs(fill - (image.meta?.fill as number)) < 0.002, `fill ${fill} vs composite ${image.meta?.fill}`);
  });

  it('fails a grey backdrop with a clear reason, and passes after autoFix', async () => {
    const grey = await composite({ background: 'solid', color: '#c8c8c8' });
    const { report } = await check(grey, 'amazon');
    assert.equal(report.pass, false);
    const bg = report.checks.find((c) => c.id === 'background-white')!;
    assert.equal(bg.pass, false);
    assert.match(bg.message, /0\.0% of the backdrop is exactly RGB 255,255,255 \(typical 200,200,200\); Amazon main image requires a pure white background/);

    const fixed = await check(grey, 'amazon', true);
    assert.ok(fixed.report.pass, JSON.stringify(fixed.report.checks));
    assert.match(fixed.report.fixed.join(), /set the backdrop to pure white \(it was about 200,200,200\)/);
    const px = await rawOf(h, fixed.image);
    assert.deepEqual([...px.data.subarray(0, 3)], [255, 255, 255]);
  });

  it('fixes a raw product photo for Amazon: grey backdrop and a small product', async () => {
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo, 'image/jpeg') })).image as ArtifactRef;
    const { report } = await check(image, 'amazon');
    assert.deepEqual(failed(report).sort(), ['background-white', 'product-fill']);
    const fixed = await check(image, 'amazon', true);
    assert.ok(fixed.report.pass, JSON.stringify(fixed.report.checks));
    const fill = fixed.report.checks.find((c) => c.id === 'product-fill')!.measured as number;
    assert.ok(Math.abs(fill - 0.87) < 0.02, `fill ${fill}`);
    console.log(`marketplace-compliance: raw photo → fixed: ${fixed.report.fixed.join('; ')}; fill ${fill}`);
  });

  it('upscales and pads a small image to the minimum size', async () => {
    const small = await put(sharp(await h.get(await composite())).resize(600, 600));
    const { report } = await check(small, 'amazon');
    assert.deepEqual(failed(report), ['min-size']);
    const fixed = await check(small, 'amazon', true);
    assert.ok(fixed.report.pass, JSON.stringify(fixed.report.checks));
    assert.deepEqual([fixed.image.width, fixed.image.height], [1000, 1000]);
    assert.deepEqual([fixed.mask?.width, fixed.mask?.height], [1000, 1000], 'the product mask follows the reframing');

    const tiny = await put(sharp(await h.get(await composite({ fill: 0.8 }))).resize(400, 400).extend({ left: 100, right: 100, background: '#ffffff' }));
    const google = await check(tiny, 'google', true);
    assert.ok(google.report.pass, JSON.stringify(google.report.checks));
    assert.ok(Math.min(google.image.width!, google.image.height!) >= 500, `${google.image.width}x${google.image.height}`);
  });

  it('detects a border, and removes it with autoFix', async () => {
    const white = await h.get(await composite());
    const bordered = await put(sharp(white).resize(1600, 1600).extend({ top: 24, bottom: 24, left: 24, right: 24, background: '#202020' }));
    for (const marketplace of ['amazon', 'google', 'ebay']) {
      const { report } = await check(bordered, marketplace);
      const border = report.checks.find((c) => c.id === 'no-border')!;
      assert.equal(border.pass, false, marketplace);
      assert.match(border.message, /a border was found \(24\/24\/24\/24 px, colour 32,32,32\)/);
    }
    const fixed = await check(bordered, 'amazon', true);
    assert.ok(fixed.report.pass, JSON.stringify(fixed.report.checks));
    assert.match(fixed.report.fixed[0], /removed a border/);
    assert.deepEqual([fixed.image.width, fixed.image.height], [1600, 1600]);
  });

  it('keeps product fill inside Google\'s 75-90% band', async () => {
    const tight = await composite({ fill: 0.95 });
    const { report } = await check(tight, 'google');
    assert.deepEqual(failed(report), ['product-fill']);
    const fixed = await check(tight, 'google', true);
    assert.ok(fixed.report.pass, JSON.stringify(fixed.report.checks));
  });

  it('reads the JPEG quality for eBay', async () => {
    const white = await h.get(await composite());
    for (const [quality, pass] of [[75, false], [95, true]] as const) {
      const jpeg = await put(sharp(white).resize(1200, 1200).jpeg({ quality }), 'image/jpeg');
      const { report } = await check(jpeg, 'ebay');
      const q = report.checks.find((c) => c.id === 'jpeg-quality')!;
      assert.equal(q.pass, pass, `q${quality}: ${q.message}`);
      assert.ok(Math.abs((q.measured as number) - quality) <= 1, `estimated ${q.measured} for ${quality}`);
    }
  });

  it('accepts a transparent cut-out by flattening it onto white', async () => {
    const { report } = await check(cutout, 'etsy');
    assert.ok(report.pass, JSON.stringify(report.checks));
    const amazon = await check(cutout, 'amazon', true);
    assert.ok(amazon.report.pass, JSON.stringify(amazon.report.checks));
    assert.match(amazon.report.fixed.join(), /flattened transparency onto white/);
  });
});
