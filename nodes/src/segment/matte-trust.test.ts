import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageNode } from '../input/input-image';
import { segmentNode } from './segment';
import { judgeMatte, TRUST_THRESHOLD, verdictOf, type MatteTrust } from './matte-trust';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto } from '../testing/synthetic-product';
import { qualityScene } from '../testing/segmentation-quality';
import { rejectsPermanent } from '../testing/support';
import type { RawImage } from '../image/raw-image';

const PHOTOS = join(__dirname, '..', '..', '..', 'test', 'photos');
const SIZES: Array<[number, number]> = [[960, 720], [800, 600], [720, 960], [800, 800], [1024, 576]];

describe('matte trust', () => {
  let h: NodeHarness;
  before(async () => {
    h = await NodeHarness.create();
  });
  after(() => h.close());

  const prepare = async (bytes: Buffer): Promise<ArtifactRef> => {
    const upload = await h.put(bytes, 'image/jpeg');
    return (await h.runNode(inputImageNode, { upload })).image as ArtifactRef;
  };

  it('trusts the built-in cut-outs of varied generated product photos', async () => {
    const low: string[] = [];
    // Scenes 0-14 of the quality set: every kind, palettes, noise and JPEG qualities; all cut well.
    for (let i = 0; i < 15; i++) {
      const photo = await makeProductPhoto(qualityScene(i, { seedBase: 100, sizes: SIZES }));
      const out = await h.runNode(segmentNode, { image: await prepare(photo.jpeg) }, { method: 'classical' });
      const trust = ((out.cutout as ArtifactRef).meta as { trust: MatteTrust }).trust;
      if (trust.score < 0.9) low.push(`#${i} ${photo.kind}: ${trust.score} ${JSON.stringify(trust.measures)}`);
    }
    assert.deepEqual(low, []);
  });

  it('refuses the built-in cut-out of a real photo of a board on a busy desk, with the reason and what to do', async () => {
    const image = await prepare(readFileSync(join(PHOTOS, 'board-on-desk.jpg')));
    const err = await rejectsPermanent(
      h.runNode(segmentNode, { image }, { method: 'classical' }),
      /can't be trusted \(trust \d\.\d\d < 0\.5\): (the cut-out fell apart|within the product's bounding box|the cut-out's outline|the cut-out covers almost the whole photo|the background is not plain).*`npx studioflow models install isnet-medium --accept-licence agpl-3\.0`, or shoot on a plainer background/s,
    );
    assert.ok(!/\bundefined\b|NaN/.test(err.message), err.message);
    const out = await h.runNode(segmentNode, { image }, { method: 'classical', trustCheck: 'review' });
    const trust = ((out.cutout as ArtifactRef).meta as { trust: MatteTrust }).trust;
    assert.equal(trust.verdict, 'doubtful', 'with review, the cut-out goes on marked doubtful');
    assert.ok(trust.reason.length > 0 && err.message.includes(trust.reason), 'the same reason as the refusal');
  });

  it('finds a model matte that is half-transparent everywhere doubtful (a wrong normalisation), and a crisp one trusted', async () => {
    const photo = await makeProductPhoto({ seed: 7, width: 640, height: 480, kind: 'box' });
    const { data, info } = await sharp(photo.jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image: RawImage = { data, width: info.width, height: info.height, channels: 3 };
    const crisp = new Uint8Array(photo.mask);
    const washed = new Uint8Array(crisp.length).map((_, i) => 126 + (crisp[i] ? 60 : 0));
    const good = await judgeMatte({ image, alpha: crisp, builtIn: { alpha: crisp, trusted: true } });
    assert.equal(good.verdict, 'trusted', JSON.stringify(good));
    assert.equal(good.measures.agreement, 1, 'two methods that agree exactly');
    const bad = await judgeMatte({ image, alpha: washed });
    assert.equal(bad.verdict, 'doubtful', JSON.stringify(bad));
    assert.match(bad.reason, /half-transparent|whole photo/);
  });

  it('scores by the product of the measures and names the weakest in the reason', () => {
    const sound = { coverage: 0.2, fragments: 1, fragmentShare: 0, borderContact: 0, edgeAgreement: 0.95, softShare: 0.02 };
    assert.equal(verdictOf(sound).score, 1);
    const edgeless = verdictOf({ ...sound, edgeAgreement: 0.1 });
    assert.ok(edgeless.score < TRUST_THRESHOLD);
    assert.match(edgeless.reason, /outline does not follow the edges/);
    // Each judged measure's sub-score travels with the verdict, so a checklist marks the failing one by its figure, not its words.
    assert.equal(edgeless.scores.edgeAgreement, 0);
    assert.equal(edgeless.scores.softShare, 1);
    assert.equal(verdictOf({ ...sound, stability: 0.89, separability: 0.86 }).scores.stability, 0, 'an unstable graph cut marks stability');
    // Two half-bad measures together fall below the threshold where either alone would not.
    const softish = verdictOf({ ...sound, softShare: 0.36 });
    const strayish = verdictOf({ ...sound, strayShare: 0.16 });
    assert.ok(softish.score >= TRUST_THRESHOLD && strayish.score >= TRUST_THRESHOLD);
    assert.ok(verdictOf({ ...sound, softShare: 0.36, strayShare: 0.16 }).score < TRUST_THRESHOLD);
  });

  // A model's matte, judged beside the built-in matte of the same photo (figures from IS-Net on the real photos).
  const modelCut = { coverage: 0.2, fragments: 1, fragmentShare: 0, borderContact: 0, edgeAgreement: 0.8, softShare: 0.05 };

  it('doubts a model cut-out that keeps only a sliver of the built-in one, even when the built-in one was itself doubtful', () => {
    // plant-in-pot: IS-Net kept only the clothes peg, crisp and along real edges.
    const peg = verdictOf({ ...modelCut, coverage: 0.025, softShare: 0.18, agreement: 0.038, builtInKept: 0.038, builtInTrusted: false });
    assert.equal(peg.verdict, 'doubtful');
    assert.match(peg.reason, /keeps only 4 % of what the built-in cut-out found as product: the model probably picked out a detail or a prop/);
    // aloe-on-cloth: the built-in cut kept the cloth around the plant, the model the plant; a doubtful built-in cut is no evidence against it.
    const plant = verdictOf({ ...modelCut, agreement: 0.29, builtInKept: 0.29, builtInTrusted: false });
    assert.equal(plant.verdict, 'trusted', JSON.stringify(plant));
  });

  it('doubts a model cut-out that disagrees with a built-in cut-out that looked sound, and trusts one that agrees', () => {
    const halfAgreeing = verdictOf({ ...modelCut, agreement: 0.5, builtInKept: 0.65, builtInTrusted: true });
    assert.equal(halfAgreeing.verdict, 'doubtful');
    assert.match(halfAgreeing.reason, /the built-in cut-out looks sound and disagrees with this one \(they share 50 % of what either kept\): one of them cut the wrong thing/);
    // sweets-scattered: the two differ on a few sweets' edges only.
    assert.equal(verdictOf({ ...modelCut, agreement: 0.87, builtInKept: 0.87, builtInTrusted: true }).score, 1);
    // The same disagreement with a doubtful built-in cut-out (a busy backdrop it could not read) is not held against the model.
    assert.equal(verdictOf({ ...modelCut, agreement: 0.5, builtInKept: 0.65, builtInTrusted: false }).score, 1);
  });
});
