import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { deltaE2000 } from './ciede2000';
import { estimateJpegQuality } from './jpeg-quality';
import { labToRgb, rgbToLab } from './lab';

describe('colour metrics', () => {
  it('CIEDE2000 matches Sharma, Wu & Dalal (2005) test pairs, hue wrap-around included', () => {
    const pairs: Array<[number[], number[], number]> = [
      [[50, 2.6772, -79.7751], [50, 0, -82.7485], 2.0425],
      [[50, 0, 0], [50, -1, 2], 2.3669],
      [[50, 2.49, -0.001], [50, -2.49, 0.0009], 7.1792],
      [[50, 2.5, 0], [73, 25, -18], 27.1492],
      [[60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387], 1.2644],
      [[22.7233, 20.0904, -46.694], [23.0331, 14.973, -42.5619], 2.0373],
      [[2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082],
    ];
    for (const [a, b, want] of pairs) assert.equal(deltaE2000(a[0], a[1], a[2], b[0], b[1], b[2]).toFixed(4), want.toFixed(4));
  });

  it('Lab → sRGB inverts sRGB → Lab for every grey and a colour sample', () => {
    const lab = new Float64Array(3), rgb = new Uint8Array(3);
    for (let v = 0; v < 256; v += 1) {
      for (const [r, g, b] of [[v, v, v], [v, 255 - v, (v * 7) % 256]]) {
        rgbToLab(r, g, b, lab);
        labToRgb(lab[0], lab[1], lab[2], rgb);
        assert.ok(Math.abs(rgb[0] - r) <= 1 && Math.abs(rgb[1] - g) <= 1 && Math.abs(rgb[2] - b) <= 1, `${[r, g, b]} → ${[...rgb]}`);
      }
    }
  });

  it('estimates the quality a JPEG was saved at', async () => {
    const img = sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } });
    for (const q of [50, 75, 90, 95, 100]) assert.equal(estimateJpegQuality(await img.clone().jpeg({ quality: q }).toBuffer()), q);
    assert.equal(estimateJpegQuality(await img.clone().png().toBuffer()), null);
  });
});
