import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageNode } from '../input/input-image';
import { segmentNode } from './segment';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { qualityScene } from '../testing/segmentation-quality';
import { iou, maskOf } from '../testing/support';

const SIZES: Array<[number, number]> = [[960, 720], [800, 600], [720, 960], [800, 800], [1024, 576]];

/** 50 varied scenes: every kind, palette and extra colours, noise 0-6, JPEG quality 60-95 or PNG. */
const scene = (i: number) => qualityScene(i, { seedBase: 100, sizes: SIZES });

describe('segment quality', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create();
  });
  after(() => h.close());

  it('reaches a mean IoU of at least 0.95 on 50 varied synthetic product photos', async () => {
    const n = 50;
    const scores: number[] = [];
    const misses: string[] = [];
    const refusedGood: string[] = [];
    let refused = 0;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      const opts = scene(i);
      const photo = await makeProductPhoto(opts);
      const upload = await h.put(photo.jpeg, 'image/jpeg');
      const image = (await h.runNode(inputImageNode, { upload })).image as ArtifactRef;
      // The trust check is off so every IoU counts; its verdicts are checked against the IoU instead.
      const mask = (await h.runNode(segmentNode, { image }, { method: 'classical', trustCheck: 'off' })).mask as ArtifactRef;
      const score = iou(await maskOf(h, mask), photo.mask);
      scores.push(score);
      const doubtful = (mask.meta as { trust: { verdict: string } }).trust.verdict === 'doubtful';
      if (doubtful && score >= 0.9) refusedGood.push(`#${i}: ${score.toFixed(3)}`);
      if (doubtful) refused++;
      const label = `#${i} ${photo.kind}/${opts.color ?? 'palette'}/noise ${opts.noise}/${opts.format === 'png' ? 'png' : `q${opts.quality}`}`;
      if (score < 0.95) misses.push(`${label}: ${score.toFixed(3)}`);
    }
    const mean = scores.reduce((a, b) => a + b, 0) / n;
    const sorted = [...scores].sort((a, b) => a - b);
    const median = sorted[n >> 1];
    console.log(
      `segment quality (classical): mean IoU ${mean.toFixed(4)}, median ${median.toFixed(4)}, ${n - misses.length}/${n} at or above 0.95, ${Date.now() - t0} ms`
      + (misses.length ? `\n  below 0.95: ${misses.join('; ')}` : '')
      + `\n  trust check: ${refused} doubtful, of which ${refusedGood.length} at or above 0.9 IoU`,
    );
    assert.deepEqual(refusedGood, [], 'the trust check refuses no good cut-out');
    assert.ok(mean >= 0.95, `mean IoU ${mean}`);
    assert.ok(median >= 0.98, `median IoU ${median}`);
  });
});
