import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outlineBand, refineInBand } from './band-refine';

const W = 160, H = 120, CELL = 4;

/** A red disc and a thin red stalk on a grey-blue backdrop, with a little deterministic noise. */
function scene(): { rgb: Uint8Array; truth: Uint8Array } {
  const rgb = new Uint8Array(W * H * 3), truth = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = y * W + x;
    const inDisc = (x - 70) ** 2 + (y - 60) ** 2 <= 30 ** 2;
    const inStalk = x >= 100 && x < 130 && y >= 58 && y < 61;
    truth[i] = inDisc || inStalk ? 1 : 0;
    const noise = ((x * 7 + y * 13) % 9) - 4;
    const [r, g, b] = truth[i] ? [200, 40, 40] : [90, 110, 140];
    rgb[i * 3] = r + noise;
    rgb[i * 3 + 1] = g + noise;
    rgb[i * 3 + 2] = b + noise;
  }
  return { rgb, truth };
}

/** What a cut on CELL×CELL cells gives: a cell is product when most of it is. */
function blocky(truth: Uint8Array): Uint8Array {
  const out = new Uint8Array(truth.length);
  for (let cy = 0; cy < H / CELL; cy++) for (let cx = 0; cx < W / CELL; cx++) {
    let on = 0;
    for (let dy = 0; dy < CELL; dy++) for (let dx = 0; dx < CELL; dx++) on += truth[(cy * CELL + dy) * W + cx * CELL + dx];
    const label = on * 2 >= CELL * CELL ? 1 : 0;
    for (let dy = 0; dy < CELL; dy++) for (let dx = 0; dx < CELL; dx++) out[(cy * CELL + dy) * W + cx * CELL + dx] = label;
  }
  return out;
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let both = 0, either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return both / either;
}

describe('band refinement of the coarse cut', () => {
  it('follows the outline and a thin stalk the coarse grid could not hold, and keeps every label outside the band', () => {
    const { rgb, truth } = scene();
    const coarse = blocky(truth);
    const refined = refineInBand({ rgb, width: W, height: H, steps: new Float32Array(W * H), coarse, cell: CELL, peeled: false });
    assert.ok(iou(coarse, truth) < 0.97, 'the coarse mask should miss detail for the test to mean anything');
    assert.ok(iou(refined, truth) > 0.99, `refined IoU ${iou(refined, truth).toFixed(3)}`);
    const band = outlineBand(coarse, W, H, 3 * CELL);
    for (let i = 0; i < coarse.length; i++) if (!band[i]) assert.equal(refined[i], coarse[i], `pixel ${i} outside the band changed`);
  });

  it('marks only pixels within the radius of the outline as the band', () => {
    const mask = new Uint8Array(W * H);
    for (let y = 40; y < 80; y++) mask.fill(1, y * W + 40, y * W + 120);
    const band = outlineBand(mask, W, H, 2);
    assert.equal(band[60 * W + 40], 1);
    assert.equal(band[60 * W + 37], 0, 'three pixels outside the edge');
    assert.equal(band[60 * W + 80], 0, 'deep inside');
    assert.equal(band[41 * W + 80], 1);
  });
});
