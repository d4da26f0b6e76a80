import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { classicalMatte, NoProductError, plainBackdropMatte, type ClassicalOptions } from './classical-segmenter';
import { loadRealPhotos, realPhotoVariants, type RealPhoto } from '../testing/real-photos';
import { judgeMatte, type MatteTrust } from './matte-trust';
import type { RawImage } from '../image/raw-image';
import { maskIoU } from '../testing/segmentation-quality';

const OPTIONS: ClassicalOptions = { sensitivity: 0.5, shadowTolerance: 0.5, holes: 'auto' };

/**
 * Floors on real photographs (bench/real-photo-set), a little under what the matte reaches today so
 * a regression shows; `npm run bench` (section real-photos) reports every photo.
 */
const FLOORS: Record<string, number> = {
  // Plain backdrop: the smooth backdrop model's own path.
  'fish-drawing': 0.93,
  // Cloth backdrop and a pencil in front: the graph cut, and the pencil left out as a prop.
  'apple-on-cloth': 0.95,
  // One side in shadow: the Lab colour models keep the shaded half apart from the dark backdrop (0.66 before).
  'orange-shadowed': 0.91,
  // A dark red cup and saucer on dark wood: the loose rectangle keeps the saucer (0.31 before: the rim alone).
  'coffee-cup-on-wood': 0.94,
  // A cluttered shelf: the graph cut finds the plant and, by its speckled texture, the pot running out of the frame (0.71 before);
  // leaf tips and the pot's foot continue into the frame strip, the blue glass the leaves touch is dropped as a prop,
  // and the band cut at twice the grid's resolution recovers leaf tips the grid rounded off (0.77 before).
  'plant-in-pot': 0.82,
  // A printed cloth behind the plant on every side: the inner backdrop is peeled (0.36 before: the whole cloth inside the rectangle kept),
  // and the outline it leaves is cut again on chroma at the analysis size, then at twice it on local colour models while it grows
  // (0.77 before: cloth kept between leaves, tips lost; 0.90 on global models).
  'aloe-on-cloth': 0.9,
};

/** The plain to moderately busy photos the target counts, and how many must reach IoU 0.9 (the issue asks 5; the aloe, the fifth, reaches 0.911). */
const COUNTED = ['fish-drawing', 'apple-on-cloth', 'orange-shadowed', 'coffee-cup-on-wood', 'plant-in-pot', 'aloe-on-cloth'];
const AT_LEAST = 5;

/** Good cut-outs the trust check must let through: two graph cuts on busy backdrops, a line drawing, a set of separate items. */
const TRUSTED = ['apple-on-cloth', 'orange-shadowed', 'coffee-cup-on-wood', 'fish-drawing', 'sweets-scattered'];

describe('classical matte on real photos', () => {
  let photos: RealPhoto[];
  before(async () => {
    photos = await loadRealPhotos(Object.keys(FLOORS));
  });

  for (const [name, floor] of Object.entries(FLOORS)) {
    it(`cuts out ${name} with an IoU of at least ${floor}`, async () => {
      const p = photos.find((x) => x.name === name)!;
      const matte = await classicalMatte(p.image, OPTIONS);
      const score = maskIoU(matte.alpha, p.mask!);
      console.log(`${name}: IoU ${score.toFixed(3)} (${matte.stats.pass})`);
      assert.ok(score >= floor, `${name}: IoU ${score.toFixed(3)} < ${floor}`);
    });
  }

  it('finds the apple where the previous matte kept only half of it', async () => {
    const p = photos.find((x) => x.name === 'apple-on-cloth')!;
    const previous = maskIoU((await plainBackdropMatte(p.image, OPTIONS)).alpha, p.mask!);
    const now = maskIoU((await classicalMatte(p.image, OPTIONS)).alpha, p.mask!);
    assert.ok(previous < 0.7, `the previous matte scored ${previous.toFixed(3)}: the photo no longer shows the gain`);
    assert.ok(now > previous + 0.25, `now ${now.toFixed(3)} vs before ${previous.toFixed(3)}`);
  });

  it('finds a product on the cluttered shelf where the previous matte found none', async () => {
    const p = photos.find((x) => x.name === 'plant-in-pot')!;
    await assert.rejects(plainBackdropMatte(p.image, OPTIONS), NoProductError);
    const matte = await classicalMatte(p.image, OPTIONS);
    assert.equal(matte.stats.pass, 'graph-cut');
  });

  it(`reaches IoU 0.9 on at least ${AT_LEAST} of the ${COUNTED.length} plain to moderately busy photos`, async () => {
    const counted = await loadRealPhotos(COUNTED);
    const scores: string[] = [];
    let hits = 0;
    for (const p of counted) {
      const score = maskIoU((await classicalMatte(p.image, OPTIONS)).alpha, p.mask!);
      scores.push(`${p.name} ${score.toFixed(3)}`);
      if (score >= 0.9) hits++;
    }
    assert.ok(hits >= AT_LEAST, `IoU ≥ 0.9 on ${hits}: ${scores.join(', ')}`);
  });

  it('trusts the good cut-outs: graph cuts on cloth and wood, a line drawing, scattered sweets', async () => {
    const refused: string[] = [];
    for (const p of await loadRealPhotos(TRUSTED)) {
      const matte = await classicalMatte(p.image, OPTIONS);
      const score = maskIoU(matte.alpha, p.mask!);
      assert.ok(score >= 0.9, `${p.name}: IoU ${score.toFixed(3)}, no longer a good cut-out to test trust with`);
      const trust = await judgeMatte({ image: p.image, alpha: matte.alpha, strayShare: matte.stats.strayShare, cut: matte.stats.cut });
      if (trust.verdict !== 'trusted') refused.push(`${p.name} (${matte.stats.pass}, trust ${trust.score}: ${trust.reason})`);
    }
    assert.deepEqual(refused, [], 'good cut-outs the trust check refused');
  });

  it('delivers no bad cut-out unchecked: every real photo it cuts out below 0.9 IoU is judged doubtful', async () => {
    const all = await loadRealPhotos();
    const silent: string[] = [];
    let doubtful = 0;
    for (const p of all.filter((x) => x.mask)) {
      const cut = await judgedCut(p.image);
      if (!cut) continue;
      const score = maskIoU(cut.alpha, p.mask!);
      if (score < 0.9 && cut.trust.verdict === 'trusted') silent.push(`${p.name} (IoU ${score.toFixed(2)}, trust ${cut.trust.score})`);
      if (cut.trust.verdict === 'doubtful') doubtful++;
    }
    assert.deepEqual(silent, [], 'bad cut-outs the trust check let through');
    // The busy photos (a dog, a cat, a rocket, a motorcycle) are cut badly: the check must have refused something.
    assert.ok(doubtful >= 4, `only ${doubtful} judged doubtful`);
  });

  it('delivers no wrong cut-out unchecked when the photos are mirrored, recompressed or darker', async () => {
    const silent: string[] = [];
    for (const p of (await loadRealPhotos()).filter((x) => x.mask)) {
      for (const variant of await realPhotoVariants(p)) {
        const cut = await judgedCut(variant.image);
        if (!cut) continue;
        const score = maskIoU(cut.alpha, variant.mask);
        if (score < WRONG_CUT && cut.trust.verdict === 'trusted') silent.push(`${p.name} ${variant.name} (IoU ${score.toFixed(2)}, trust ${cut.trust.score})`);
      }
    }
    // A mirrored dog cut to its head and a darker shelf kept with the plant were trusted before the stability ramp moved up.
    assert.deepEqual(silent, [], 'wrong cut-outs the trust check let through');
  });
});

/** Below this IoU a cut-out kept or lost a part a buyer would see (the sweets at JPEG q70 reach 0.89: rougher edges, nothing wrong). */
const WRONG_CUT = 0.85;

/** The built-in matte and its trust verdict, as the segment node judges it; null when it found no product. */
async function judgedCut(image: RawImage): Promise<{ alpha: Uint8Array; trust: MatteTrust } | null> {
  let matte;
  try {
    matte = await classicalMatte(image, OPTIONS);
  } catch (err) {
    if (err instanceof NoProductError) return null;
    throw err;
  }
  return { alpha: matte.alpha, trust: await judgeMatte({ image, alpha: matte.alpha, strayShare: matte.stats.strayShare, cut: matte.stats.cut }) };
}
