import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, type ArtifactRef, type ScoreValue } from '@studioflow/runtime/contract';
import { readPlacement } from '../image/placement';

type TieBreak = 'fidelity' | 'clip' | 'order';

export interface RankedCandidate {
  hash: string;
  /** Candidate order: the candidates inputs in edge order, each list in its order. */
  index: number;
  clip: number | null;
  fidelity: number | null;
  fidelityPass: boolean | null;
  combined: number;
  eligible: boolean;
}

export const bestSelectNode = defineNode({
  type: 'best-select',
  version: 1,
  title: 'Best select',
  category: 'quality',
  description:
    'Picks one image from several generations: a weighted mean of CLIP score (prompt match) and product fidelity, matched to the '
    + 'candidates by artifact hash. A candidate whose product changed is never chosen while another passes. The report says why.',
  resource: 'cpu',
  inputs: [
    { name: 'candidates', type: 'candidates', multiple: true, label: 'Candidates', description: 'Every generator\'s images (fan in several)' },
    { name: 'clip', type: 'score', multiple: true, optional: true, label: 'CLIP scores', description: 'clip-score outputs covering every candidate' },
    { name: 'fidelity', type: 'score', multiple: true, optional: true, label: 'Fidelity scores', description: 'product-fidelity outputs, one per candidate' },
    { name: 'masks', type: 'mask', multiple: true, optional: true, label: 'Placement masks', description: "The generators' mask outputs: the chosen image's is passed on" },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Best image' },
    { name: 'mask', type: 'mask', label: 'Its mask', description: "The product as placed in the chosen image (from masks, matched by placement); absent when its generator placed none" },
    { name: 'score', type: 'score', label: 'Score', description: '{ score (combined), pass, threshold, chosen, clip, fidelity }: a retry gate can follow' },
    { name: 'report', type: 'report', label: 'Report', description: '{ chosen, why, ranking: [{ hash, clip, fidelity, combined, eligible }] }' },
  ],
  params: Type.Object({
    clipWeight: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'weight of the CLIP score (prompt match) in the combined score' }),
    fidelityWeight: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'weight of the product-fidelity score in the combined score' }),
    requireFidelityPass: Type.Boolean({ default: true, description: 'a candidate that fails product fidelity is never chosen while any candidate passes' }),
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'the score output passes when the chosen candidate\'s combined score is at least this (and its fidelity passes)' }),
    tieBreak: Type.Union([Type.Literal('fidelity'), Type.Literal('clip'), Type.Literal('order')], {
      default: 'fidelity',
      description: 'equal combined scores: the higher fidelity, the higher CLIP score, or the earlier candidate wins (candidate order settles any tie left)',
    }),
  }),
  cacheable: true,
  async run(ctx, inputs, params) {
    const candidates = uniqueCandidates(inputs.candidates.flat());
    const clipScores = inputs.clip ? clipByHash(inputs.clip) : null;
    const fidelityScores = inputs.fidelity ? fidelityByHash(inputs.fidelity) : null;
    const weights = { clip: clipScores ? params.clipWeight : 0, fidelity: fidelityScores ? params.fidelityWeight : 0 };
    if (!clipScores && !fidelityScores) throw new PermanentNodeError('best-select: nothing to choose by: wire clip-score and/or product-fidelity scores');
    if (weights.clip + weights.fidelity <= 0) throw new PermanentNodeError('best-select: the weights of the wired scores are all 0');

    for (const [what, scores] of [['CLIP', clipScores], ['fidelity', fidelityScores]] as const) {
      if (!scores) continue;
      const missing = candidates.filter((c) => !scores.has(c.hash)).map((c) => c.hash.slice(0, 12));
      if (missing.length) {
        throw new PermanentNodeError(`best-select: no ${what} score for candidate${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: every candidate needs one (scores are matched by artifact hash)`);
      }
    }

    const total = weights.clip + weights.fidelity;
    const rows: RankedCandidate[] = candidates.map((c, index) => {
      const clip = clipScores?.get(c.hash) ?? null;
      const fid = fidelityScores?.get(c.hash) ?? null;
      const combined = ((clip ?? 0) * weights.clip + (fid?.score ?? 0) * weights.fidelity) / total;
      return { hash: c.hash, index, clip, fidelity: fid?.score ?? null, fidelityPass: fid ? fid.pass : null, combined: round(combined), eligible: true };
    });
    const anyPasses = rows.some((r) => r.fidelityPass === true);
    if (params.requireFidelityPass && anyPasses) for (const r of rows) r.eligible = r.fidelityPass !== false;
    const ranking = [...rows].sort(byRank(params.tieBreak));
    const chosen = ranking[0];
    const image = candidates[chosen.index];
    const pass = chosen.combined >= params.threshold && chosen.fidelityPass !== false;
    const mask = maskOf(image, inputs.masks ?? []);
    ctx.log.info('best-select chose', { chosen: chosen.hash, combined: chosen.combined, candidates: rows.length });
    return {
      image,
      ...(mask ? { mask } : {}),
      score: {
        score: chosen.combined,
        pass,
        threshold: params.threshold,
        chosen: chosen.hash,
        clip: chosen.clip,
        fidelity: chosen.fidelity,
        weights,
      },
      report: {
        chosen: chosen.hash,
        why: explain(chosen, ranking, weights, params.requireFidelityPass && anyPasses, params.tieBreak),
        ranking: ranking.map(({ hash, clip, fidelity, fidelityPass, combined, eligible }) => ({ hash, clip, fidelity, fidelityPass, combined, eligible })),
        weights,
        requireFidelityPass: params.requireFidelityPass,
        tieBreak: params.tieBreak,
      },
    };
  },
});

/** Eligible first, then the higher combined score, then the tie-break rule, then candidate order: a total order, so the choice is deterministic. */
function byRank(tieBreak: TieBreak): (a: RankedCandidate, b: RankedCandidate) => number {
  return (a, b) => {
    if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
    if (a.combined !== b.combined) return b.combined - a.combined;
    if (tieBreak === 'fidelity' && a.fidelity !== b.fidelity) return (b.fidelity ?? 0) - (a.fidelity ?? 0);
    if (tieBreak === 'clip' && a.clip !== b.clip) return (b.clip ?? 0) - (a.clip ?? 0);
    return a.index - b.index;
  };
}

function explain(chosen: RankedCandidate, ranking: RankedCandidate[], weights: { clip: number; fidelity: number }, fidelityGate: boolean, tieBreak: TieBreak): string {
  const parts = [
    chosen.clip !== null ? `CLIP ${chosen.clip} × ${weights.clip}` : null,
    chosen.fidelity !== null ? `fidelity ${chosen.fidelity} × ${weights.fidelity}` : null,
  ].filter(Boolean);
  const eligible = ranking.filter((r) => r.eligible);
  let why = `chose ${short(chosen.hash)}: combined ${chosen.combined} (${parts.join(' + ')}, over the weights' sum), `
    + (eligible.length === 1 ? 'the only eligible candidate' : `the highest of ${eligible.length} eligible candidates`);
  const runnerUp = eligible[1];
  if (runnerUp && runnerUp.combined === chosen.combined) {
    why += `; tied with ${short(runnerUp.hash)}, settled by ${tieBreak === 'order' || (tieBreak === 'fidelity' ? chosen.fidelity === runnerUp.fidelity : chosen.clip === runnerUp.clip) ? 'candidate order' : `the higher ${tieBreak} score`}`;
  } else if (runnerUp) {
    why += `; next ${short(runnerUp.hash)} at ${runnerUp.combined}`;
  }
  const excluded = ranking.filter((r) => !r.eligible);
  if (fidelityGate && excluded.length) {
    why += `. Not chosen because product fidelity failed: ${excluded.map((r) => `${short(r.hash)} (combined ${r.combined}${r.clip !== null ? `, CLIP ${r.clip}` : ''})`).join(', ')}`;
  }
  if (chosen.fidelityPass === false) why += '. No candidate passed product fidelity';
  return `${why}.`;
}

/**
 * The placement mask of the chosen image: a generator's mask records the same placement as its images
 * (nodes/src/image/placement.ts) and is the image's size. The mask is a function of the cut-out and the
 * placement, so any mask that matches both is the right one, whichever generator made it.
 */
function maskOf(image: ArtifactRef, masks: ArtifactRef[]): ArtifactRef | undefined {
  const placed = readPlacement(image);
  if (!placed) return undefined;
  return masks.find((m) => {
    const p = readPlacement(m);
    return p !== null && m.width === image.width && m.height === image.height && JSON.stringify(p) === JSON.stringify(placed);
  });
}

/** The same image from two generators is one candidate: the first keeps its place. */
function uniqueCandidates(refs: ArtifactRef[]): ArtifactRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => !seen.has(r.hash) && seen.add(r.hash));
}

/** CLIP score per candidate hash from clip-score outputs (`perCandidate`); the first value for a hash wins. */
function clipByHash(values: ScoreValue[]): Map<string, number> {
  const out = new Map<string, number>();
  values.forEach((v, i) => {
    const list = v.perCandidate;
    if (!Array.isArray(list)) throw new PermanentNodeError(`best-select: CLIP score ${i + 1} has no perCandidate list: wire a clip-score output`);
    for (const item of list as Array<{ hash?: unknown; score?: unknown }>) {
      if (typeof item?.hash !== 'string' || typeof item.score !== 'number') throw new PermanentNodeError(`best-select: CLIP score ${i + 1} has an entry without hash and score`);
      if (!out.has(item.hash)) out.set(item.hash, item.score);
    }
  });
  return out;
}

/** Fidelity score and verdict per candidate hash from product-fidelity outputs (`candidate`). */
function fidelityByHash(values: ScoreValue[]): Map<string, { score: number; pass: boolean | null }> {
  const out = new Map<string, { score: number; pass: boolean | null }>();
  values.forEach((v, i) => {
    if (typeof v.candidate !== 'string') throw new PermanentNodeError(`best-select: fidelity score ${i + 1} does not name its candidate (wire a product-fidelity output)`);
    if (typeof v.score !== 'number') throw new PermanentNodeError(`best-select: fidelity score ${i + 1} has no numeric score`);
    if (!out.has(v.candidate)) out.set(v.candidate, { score: v.score, pass: typeof v.pass === 'boolean' ? v.pass : null });
  });
  return out;
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}
