import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArtifactRef, ScoreValue } from '@studioflow/runtime/contract';
import { bestSelectNode } from './best-select';
import { NodeHarness } from '../testing/node-harness';
import { rejectsPermanent } from '../testing/support';

type Report = { chosen: string; why: string; ranking: Array<{ hash: string; clip: number | null; fidelity: number | null; combined: number; eligible: boolean }> };

/** best-select on scores as clip-score and product-fidelity emit them (those nodes run for real in gpu-runtime/test/clip-score.test.ts). */
describe('best-select', () => {
  let h: NodeHarness;
  let a: ArtifactRef, b: ArtifactRef, c: ArtifactRef;
  const clip = (scores: Array<[ArtifactRef, number]>): ScoreValue => ({ score: Math.max(...scores.map(([, s]) => s)), perCandidate: scores.map(([ref, score]) => ({ hash: ref.hash, similarity: score / 2.5, score })) });
  const fidelity = (ref: ArtifactRef, score: number, threshold = 0.5): ScoreValue => ({ score, candidate: ref.hash, pass: score >= threshold, threshold });
  const select = async (inputs: { candidates: ArtifactRef[][]; clip?: ScoreValue[]; fidelity?: ScoreValue[] }, params: Record<string, unknown> = {}) => {
    const out = await h.runNode(bestSelectNode, inputs, params as never);
    return { image: out.image as ArtifactRef, score: out.score as { score: number; pass: boolean; chosen: string }, report: out.report as Report };
  };

  before(async () => {
    h = await NodeHarness.create();
    // Distinct bytes are distinct candidates: best-select matches scores by artifact hash and never reads pixels.
    [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => h.put(Buffer.from(`candidate ${name}`), 'image/png')));
  });
  after(() => h.close());

  it('picks the highest combined score over candidates fanned in from two generators', async () => {
    const out = await select({
      candidates: [[a], [b, c]],
      clip: [clip([[a, 0.9], [b, 0.6], [c, 0.7]])],
      fidelity: [fidelity(a, 0.55), fidelity(b, 0.95), fidelity(c, 0.8)],
    }, { clipWeight: 0.4, fidelityWeight: 0.6 });
    // a: 0.36 + 0.33 = 0.69; b: 0.24 + 0.57 = 0.81; c: 0.28 + 0.48 = 0.76.
    assert.equal(out.report.chosen, b.hash);
    assert.equal(out.image.hash, b.hash);
    assert.deepEqual(out.report.ranking.map((r) => [r.hash, r.combined]), [[b.hash, 0.81], [c.hash, 0.76], [a.hash, 0.69]]);
    assert.deepEqual([out.score.score, out.score.pass, out.score.chosen], [0.81, true, b.hash]);
    assert.match(out.report.why, /combined 0\.81 .*highest of 3 eligible candidates; next .* at 0\.76/);
    // The weights decide: with CLIP alone, a wins.
    const clipOnly = await select({ candidates: [[a], [b, c]], clip: [clip([[a, 0.9], [b, 0.6], [c, 0.7]])], fidelity: [fidelity(a, 0.55), fidelity(b, 0.95), fidelity(c, 0.8)] }, { clipWeight: 1, fidelityWeight: 0 });
    assert.equal(clipOnly.report.chosen, a.hash);
  });

  it("passes on the chosen image's placement mask, matched by placement and size, and none for an image placed by no one", async () => {
    const placed = (x: number) => ({ placement: { x, y: 40, width: 300, height: 400, sourceWidth: 600, sourceHeight: 800 } });
    const put = (name: string, meta?: Record<string, unknown>, size = 1024) => h.store.put(Buffer.from(name), { mime: 'image/png', width: size, height: size, ...(meta ? { meta } : {}) });
    const [left, right, unplaced] = [await put('left', placed(100)), await put('right', placed(500)), await put('cloud scene')];
    const [leftMask, rightMask, wrongSize] = [await put('left mask', placed(100)), await put('right mask', placed(500)), await put('right mask, other size', placed(500), 512)];
    const masks = [wrongSize, leftMask, rightMask];
    const scores = { clip: [clip([[left, 0.5], [right, 0.9], [unplaced, 0.1]])] };
    const out = await h.runNode(bestSelectNode, { candidates: [[left], [right], [unplaced]], masks, ...scores }, {} as never);
    assert.equal((out.image as ArtifactRef).hash, right.hash);
    assert.equal((out.mask as ArtifactRef).hash, rightMask.hash, 'the mask recording the same placement at the same size');
    const cloud = await h.runNode(bestSelectNode, { candidates: [[left], [unplaced]], masks, clip: [clip([[left, 0.1], [unplaced, 0.9]])] }, {} as never);
    assert.equal((cloud.image as ArtifactRef).hash, unplaced.hash);
    assert.equal(cloud.mask, undefined, 'an image without a placement has no mask to pass on');
  });

  it('never chooses a candidate that fails product fidelity while another passes, even with the best CLIP and combined score', async () => {
    const inputs = { candidates: [[a, b]], clip: [clip([[a, 1], [b, 0.3]])], fidelity: [fidelity(a, 0.45), fidelity(b, 0.6)] };
    const out = await select(inputs, { clipWeight: 0.7, fidelityWeight: 0.3 });
    // a: 0.7 + 0.135 = 0.835 beats b: 0.21 + 0.18 = 0.39, but a's product changed.
    assert.equal(out.report.chosen, b.hash);
    assert.deepEqual(out.report.ranking.map((r) => [r.hash, r.eligible]), [[b.hash, true], [a.hash, false]]);
    assert.match(out.report.why, /the only eligible candidate.*product fidelity failed: .*combined 0\.835, CLIP 1/);
    assert.equal(out.score.pass, false, 'combined 0.39 is under the 0.5 threshold: a retry gate would retry');
    const unguarded = await select(inputs, { clipWeight: 0.7, fidelityWeight: 0.3, requireFidelityPass: false });
    assert.equal(unguarded.report.chosen, a.hash, 'requireFidelityPass: false lets the combined score alone decide');
    assert.equal(unguarded.score.pass, false, 'a chosen candidate that fails fidelity never passes');
  });

  it('when no candidate passes fidelity it still chooses the best, and its score does not pass', async () => {
    const out = await select({ candidates: [[a, b]], fidelity: [fidelity(a, 0.2), fidelity(b, 0.4)] });
    assert.equal(out.report.chosen, b.hash);
    assert.equal(out.score.pass, false);
    assert.match(out.report.why, /No candidate passed product fidelity/);
  });

  it('breaks ties by the rule, then by candidate order, the same way every time', async () => {
    const inputs = { candidates: [[a], [b], [c]], clip: [clip([[a, 0.6], [b, 0.8], [c, 0.6]])], fidelity: [fidelity(a, 0.8), fidelity(b, 0.6), fidelity(c, 0.8)] };
    // All three combine to 0.7.
    assert.equal((await select(inputs, { tieBreak: 'fidelity' })).report.chosen, a.hash, 'a and c share the higher fidelity; a came first');
    assert.equal((await select(inputs, { tieBreak: 'clip' })).report.chosen, b.hash);
    assert.equal((await select(inputs, { tieBreak: 'order' })).report.chosen, a.hash);
    const reversed = await select({ ...inputs, candidates: [[c], [b], [a]] }, { tieBreak: 'fidelity' });
    assert.equal(reversed.report.chosen, c.hash);
    assert.match(reversed.report.why, /tied with .*settled by candidate order/);
    const again = await select(inputs, { tieBreak: 'clip' });
    assert.deepEqual(again.report, (await select(inputs, { tieBreak: 'clip' })).report);
  });

  it('treats the same image from two generators as one candidate', async () => {
    const out = await select({ candidates: [[a, b], [a]], clip: [clip([[a, 0.5], [b, 0.4]])] });
    assert.deepEqual(out.report.ranking.map((r) => r.hash), [a.hash, b.hash]);
  });

  it('fails permanently, naming the candidate, when a wired score is missing for one', async () => {
    await rejectsPermanent(
      select({ candidates: [[a, b, c]], clip: [clip([[a, 0.5], [b, 0.4]])] }),
      new RegExp(`best-select: no CLIP score for candidate ${c.hash.slice(0, 12)}: every candidate needs one`),
    );
    await rejectsPermanent(
      select({ candidates: [[a, b]], clip: [clip([[a, 0.5], [b, 0.4]])], fidelity: [fidelity(a, 0.9)] }),
      new RegExp(`no fidelity score for candidate ${b.hash.slice(0, 12)}`),
    );
    await rejectsPermanent(select({ candidates: [[a]], fidelity: [{ score: 0.9, pass: true }] }), /fidelity score 1 does not name its candidate/);
    await rejectsPermanent(select({ candidates: [[a]] }), /nothing to choose by/);
    await rejectsPermanent(select({ candidates: [[a]], clip: [clip([[a, 0.5]])] }, { clipWeight: 0 }), /weights of the wired scores are all 0/);
  });
});
