import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { LocalArtifactStore } from '@studioflow/runtime/artifacts';
import type { ArtifactRef, ModelAccess, PortValues, PromptValue } from '@studioflow/runtime/contract';
import { runGraphLocally } from '@studioflow/runtime/local';
import { compilePlan, GraphInvalidError } from '@studioflow/runtime/scheduler';
import type { GraphDoc } from '@studioflow/runtime/graph';
import {
  bestSelectNode, CLIP_MEAN, CLIP_STD, clipPixelValues, clipScoreNode, createProductCatalog, inputImageNode, productFidelityNode, segmentNode, studioCompositeNode,
} from '@studioflow/nodes';
import { makeProductPhoto, NodeHarness, rejectsPermanent, writeTinyClipModel } from '@studioflow/nodes/testing';
import { ModelPool } from '../src/model-pool';
import { clipBackend } from '../src/backends/clip';
import { defaultModelBackends } from '../src/backends';

const ENV = ['STUDIOFLOW_CLIP_MODELS', 'STUDIOFLOW_DEFAULT_CLIP'];
type PerCandidate = { hash: string; similarity: number; logit: number; score: number };
type ClipOut = { score: number; best: string; perCandidate: PerCandidate[]; model: string; provider: string; promptTokens: number; promptTruncated: boolean };

const prompt = (positive: string): PromptValue => ({ format: 'studioflow.prompt/1', positive, negative: '', tier: 'standard' });

/** clip-score on a GPU runtime slot (a CPU one here), with tiny encoders that have CLIP's real I/O names. */
describe('clip-score with ONNX CLIP encoders on a GPU runtime slot', () => {
  let h: NodeHarness;
  let pool: ModelPool;
  const models: ModelAccess = { acquire: (id) => pool.acquire(id) };
  let dir: string;
  let files: Awaited<ReturnType<typeof writeTinyClipModel>>;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  const configure = (entries: Record<string, unknown>) => (process.env.STUDIOFLOW_CLIP_MODELS = JSON.stringify(entries));
  /** A solid-colour image through input-image, as an upload would arrive. */
  const put = async (rgb: [number, number, number], width = 320, height = 240): Promise<ArtifactRef> => {
    const bytes = await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
    return (await h.runNode(inputImageNode, { upload: await h.put(bytes, 'image/png') })).image as ArtifactRef;
  };
  const score = async (candidates: ArtifactRef[], text: string, params: Record<string, unknown> = {}) =>
    (await h.runNode(clipScoreNode, { candidates, prompt: prompt(text) }, params as never)).score as unknown as ClipOut;

  before(async () => {
    h = await NodeHarness.create({ models });
    dir = h.store.dir;
    files = await writeTinyClipModel(dir);
  });
  beforeEach(() => {
    for (const k of ENV) delete process.env[k];
    pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [clipBackend()], log: { info() {}, warn() {}, error() {} } });
  });
  afterEach(() => pool.close());
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await h.close();
  });

  it('scores "a red shoe" higher on a red image than on a blue one, per candidate and as the best', async () => {
    configure({ 'tiny-clip': files });
    const red = await put([200, 30, 30]);
    const blue = await put([30, 40, 200]);
    const out = await score([blue, red], 'a photo of a red shoe');
    const [onBlue, onRed] = out.perCandidate;
    assert.deepEqual(out.perCandidate.map((c) => c.hash), [blue.hash, red.hash], 'one entry per candidate, in order');
    assert.ok(onRed.similarity > onBlue.similarity, `red ${onRed.similarity} > blue ${onBlue.similarity}`);
    assert.ok(onRed.similarity > onBlue.similarity + 0.5, 'the tiny encoders separate the colours clearly');
    assert.equal(out.best, red.hash);
    assert.equal(out.score, onRed.score);
    assert.ok(Math.abs(onRed.logit - 100 * onRed.similarity) < 0.01, 'logit = 100 × cosine');
    assert.ok(Math.abs(onRed.score - Math.min(1, 2.5 * onRed.similarity)) < 1e-3, 'default ramp: CLIPScore 2.5 · cos');
    assert.deepEqual([out.model, out.provider, out.promptTokens, out.promptTruncated], ['tiny-clip', 'cpu', 8, false]);

    const blueText = await score([blue, red], 'a blue mug');
    assert.equal(blueText.best, blue.hash, 'the prompt decides which image wins');
  });

  it('takes a single image as a list of one and keeps the encoders warm across jobs', async () => {
    configure({ 'tiny-clip': files });
    const green = await put([40, 190, 60], 200, 300);
    for (let job = 0; job < 3; job++) {
      const out = await score([green], 'green bottle on a white studio background');
      assert.equal(out.perCandidate.length, 1);
      assert.ok(out.score > 0.5, `green on green: ${out.score}`);
    }
    assert.equal(pool.loads, 1, 'three jobs, one load of both encoders and the tokenizer');
    const [status] = pool.status().models;
    assert.equal(status.backend, 'clip');
    assert.ok(status.bytes > 1000, 'the model counts its three files');
  });

  it('notes when the prompt is longer than CLIP\'s 77 tokens', async () => {
    configure({ 'tiny-clip': files });
    const out = await score([await put([200, 30, 30])], 'a red shoe on a white studio background. '.repeat(12));
    assert.equal(out.promptTruncated, true);
    assert.equal(out.promptTokens, 77);
  });

  it('prepares pixel_values as CLIP does: shortest edge to 224, bicubic, centre crop, CLIP mean and std', async () => {
    // Red in the middle 60 %, blue in the outer fifths of the long side: the centre crop (the middle half) keeps only red.
    for (const [w, hgt] of [[448, 224], [224, 448], [900, 450]]) {
      const data = Buffer.alloc(w * hgt * 3);
      for (let y = 0; y < hgt; y++) {
        for (let x = 0; x < w; x++) {
          const along = w > hgt ? x / w : y / hgt;
          data.set(along >= 0.2 && along < 0.8 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
        }
      }
      const values = await clipPixelValues({ data, width: w, height: hgt, channels: 3 }, 224);
      assert.equal(values.length, 3 * 224 * 224);
      const plane = 224 * 224;
      const expected = [(1 - CLIP_MEAN[0]) / CLIP_STD[0], (0 - CLIP_MEAN[1]) / CLIP_STD[1], (0 - CLIP_MEAN[2]) / CLIP_STD[2]];
      for (let c = 0; c < 3; c++) {
        let worst = 0;
        for (let i = 0; i < plane; i++) worst = Math.max(worst, Math.abs(values[c * plane + i] - expected[c]));
        assert.ok(worst < 0.02, `${w}x${hgt} channel ${c}: off by ${worst}`);
      }
    }
    // Transparency is flattened onto white: a fully transparent image is white, whatever its colour values.
    const clear = Buffer.alloc(64 * 64 * 4);
    for (let i = 0; i < clear.length; i += 4) clear.set([255, 0, 0, 0], i);
    const white = await clipPixelValues({ data: clear, width: 64, height: 64, channels: 4 }, 224);
    assert.ok(Math.abs(white[224 * 224 * 2] - (1 - CLIP_MEAN[2]) / CLIP_STD[2]) < 1e-3);
  });

  it('is refused when the plan is compiled without a CLIP model, naming how to configure one', async () => {
    const catalog = createProductCatalog();
    const graph: GraphDoc = {
      nodes: [{ id: 'photo', type: 'input-image' }, { id: 'cut', type: 'segment' }, { id: 'words', type: 'compose-prompt' }, { id: 'clip', type: 'clip-score' }],
      edges: [
        { source: 'photo', sourceHandle: 'image', target: 'cut', targetHandle: 'image' },
        { source: 'cut', sourceHandle: 'cutout', target: 'words', targetHandle: 'cutout' },
        { source: 'photo', sourceHandle: 'image', target: 'clip', targetHandle: 'candidates' },
        { source: 'words', sourceHandle: 'prompt', target: 'clip', targetHandle: 'prompt' },
      ],
    };
    assert.throws(
      () => compilePlan(graph, catalog.descriptors, { place: catalog.place }),
      (err: unknown) => err instanceof GraphInvalidError && err.problems[0].nodeId === 'clip' && /no CLIP model configured: set STUDIOFLOW_CLIP_MODELS/.test(err.message),
    );
    configure({ 'tiny-clip': files });
    const plan = compilePlan(graph, catalog.descriptors, { place: catalog.place });
    assert.equal(plan.nodes.clip.resource, 'gpu');
    assert.equal(plan.nodes.clip.model?.id, 'tiny-clip');
    assert.equal(plan.nodes.clip.queue, 'gpu.tiny-clip');
    assert.throws(() => compilePlan({ ...graph, nodes: graph.nodes.map((n) => (n.id === 'clip' ? { ...n, params: { model: 'nope' } } : n)) }, catalog.descriptors, { place: catalog.place }),
      /CLIP model "nope" is not configured \(configured: tiny-clip\)/);
  });

  it('rejects a missing encoder file, a broken one and a bad configuration with clear permanent errors', async () => {
    const red = await put([200, 30, 30]);
    const broken = join(dir, 'broken.onnx');
    await writeFile(broken, 'not a protobuf model, just some text');
    configure({ missing: { ...files, textEncoder: join(dir, 'nowhere.onnx') }, broken: { ...files, imageEncoder: broken } });
    await rejectsPermanent(score([red], 'red', { model: 'missing' }), /CLIP model "missing": textEncoder file not found: .*nowhere\.onnx/);
    await rejectsPermanent(score([red], 'red', { model: 'broken' }), /broken\.onnx could not be loaded as an ONNX model/);
    configure({ birefnet: files });
    await rejectsPermanent(score([red], 'red'), /"birefnet" has the id of a segmentation model preset/);
    configure({ relative: { imageEncoder: 'vision.onnx' } });
    await rejectsPermanent(score([red], 'red'), /STUDIOFLOW_CLIP_MODELS model "relative" is missing or has invalid: imageEncoder \(an absolute path\), textEncoder/);
  });

  it('is one of the GPU host\'s default backends', () => {
    configure({ 'tiny-clip': files });
    const backends = defaultModelBackends();
    assert.ok(backends.some((b) => b.name === 'clip' && b.configuredIds().includes('tiny-clip')));
  });
});

/**
 * The ensemble of issue 11 §5: variants from two generators fan into best-select with a CLIP score
 * over all of them and a product-fidelity score per candidate.
 */
describe('the ensemble: clip-score and product-fidelity into best-select', () => {
  let h: NodeHarness;
  let pool: ModelPool;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

  before(async () => {
    pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [clipBackend()], log: { info() {}, warn() {}, error() {} } });
    h = await NodeHarness.create({ models: { acquire: (id) => pool.acquire(id) } });
    process.env.STUDIOFLOW_CLIP_MODELS = JSON.stringify({ 'tiny-clip': await writeTinyClipModel(h.store.dir) });
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await pool.close();
    await h.close();
  });

  const cutoutOf = async (seed: number, color: string) => {
    const photo = await makeProductPhoto({ seed, kind: 'box', color, width: 1000, height: 750 });
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo.jpeg, 'image/jpeg') })).image as ArtifactRef;
    return (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
  };
  const onBackdrop = async (cutout: ArtifactRef, color: string) => {
    const out = await h.runNode(studioCompositeNode, { cutout }, { background: 'solid', color, fill: 0.5, shadow: 0 } as never);
    return { image: out.image as ArtifactRef, mask: out.mask as ArtifactRef };
  };

  it('picks the highest combined score, and never a candidate whose product changed even with the best CLIP score', async () => {
    const original = await cutoutOf(8, '#1f4e8c');
    const onRed = await onBackdrop(original, '#c83c3c');
    const onBlue = await onBackdrop(original, '#3c50c8');
    // Another product (a red box) on a purer red: the best prompt match, but not the seller's product.
    const swapped = await onBackdrop(await cutoutOf(8, '#c0392b'), '#f01010');
    const fidelity = await Promise.all([onRed, onBlue, swapped].map(async (c) =>
      (await h.runNode(productFidelityNode, { original, candidate: c.image, candidateMask: c.mask })).score as { score: number; pass: boolean; candidate: string }));
    assert.deepEqual(fidelity.map((f) => f.candidate), [onRed.image.hash, onBlue.image.hash, swapped.image.hash], 'product-fidelity names its candidate');
    assert.deepEqual(fidelity.map((f) => f.pass), [true, true, false], fidelity.map((f) => f.score).join());

    // Generator 1 made one variant, generator 2 two: one clip-score over all three.
    const variants = [[onRed.image], [onBlue.image, swapped.image]];
    const clip = (await h.runNode(clipScoreNode, { candidates: variants.flat(), prompt: prompt('a box on a red studio background') }, { zeroAt: 0, oneAt: 1 } as never)).score as unknown as ClipOut;
    const clipOf = Object.fromEntries(clip.perCandidate.map((c) => [c.hash, c.score]));
    assert.equal(clip.best, swapped.image.hash, 'the swapped product matches the prompt best');

    const out = await h.runNode(bestSelectNode, { candidates: variants, clip: [clip], fidelity }, { clipWeight: 0.5, fidelityWeight: 0.5 } as never);
    const report = out.report as { chosen: string; why: string; ranking: Array<{ hash: string; combined: number; eligible: boolean }> };
    const combined = (i: number) => (clipOf[fidelity[i].candidate] + fidelity[i].score) / 2;
    const bestEligible = [0, 1].reduce((a, b) => (combined(b) > combined(a) ? b : a));
    console.log(`ensemble: ${report.why}`);
    assert.equal(report.chosen, fidelity[bestEligible].candidate);
    assert.equal(report.chosen, onRed.image.hash, 'the seller\'s product on the backdrop the prompt asks for');
    assert.equal((out.image as ArtifactRef).hash, onRed.image.hash);
    assert.ok(Math.abs((out.score as { score: number }).score - combined(bestEligible)) < 1e-3);
    assert.equal((out.score as { pass: boolean }).pass, true);
    assert.deepEqual(report.ranking.map((r) => [r.hash, r.eligible]), [[onRed.image.hash, true], [onBlue.image.hash, true], [swapped.image.hash, false]]);
    assert.match(report.why, /product fidelity failed/);
  });
});

/**
 * The same ensemble as a graph through the scheduler (in process): two variants made in parallel
 * fan into best-select, each with its own clip-score and product-fidelity.
 */
describe('an ensemble graph: two variants, scored, one chosen', () => {
  let pool: ModelPool;
  let store: LocalArtifactStore;
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

  before(async () => {
    store = new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-ensemble-')));
    pool = new ModelPool({ device: 'cpu', budgetBytes: 2 ** 30, backends: [clipBackend()], log: { info() {}, warn() {}, error() {} } });
    process.env.STUDIOFLOW_CLIP_MODELS = JSON.stringify({ 'tiny-clip': await writeTinyClipModel(store.dir) });
  });
  after(async () => {
    for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
    await pool.close();
    await rm(store.dir, { recursive: true, force: true });
  });

  it('runs the fan-out and fan-in, and best-select picks the variant with the highest combined score', async () => {
    const variant = (id: string, color: string) => ({ id, type: 'studio-composite', params: { background: 'solid', color, fill: 0.5 } });
    const edge = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({ source, sourceHandle, target, targetHandle });
    const graph: GraphDoc = {
      nodes: [
        { id: 'photo', type: 'input-image' }, { id: 'cut', type: 'segment' }, { id: 'words', type: 'compose-prompt' },
        variant('warm', '#c83c3c'), variant('cool', '#3c50c8'),
        { id: 'clipWarm', type: 'clip-score', params: { oneAt: 1 } }, { id: 'clipCool', type: 'clip-score', params: { oneAt: 1 } },
        { id: 'fidWarm', type: 'product-fidelity' }, { id: 'fidCool', type: 'product-fidelity' },
        { id: 'best', type: 'best-select' },
      ],
      edges: [
        edge('photo', 'image', 'cut', 'image'), edge('cut', 'cutout', 'words', 'cutout'),
        ...['warm', 'cool'].flatMap((v) => {
          const tag = v === 'warm' ? 'Warm' : 'Cool';
          return [
            edge('cut', 'cutout', v, 'cutout'),
            edge(v, 'image', `clip${tag}`, 'candidates'), edge('words', 'prompt', `clip${tag}`, 'prompt'),
            edge('cut', 'cutout', `fid${tag}`, 'original'), edge(v, 'image', `fid${tag}`, 'candidate'), edge(v, 'mask', `fid${tag}`, 'candidateMask'),
            edge(v, 'image', 'best', 'candidates'), edge(`clip${tag}`, 'score', 'best', 'clip'), edge(`fid${tag}`, 'score', 'best', 'fidelity'),
          ];
        }),
      ],
    };
    const photo = await makeProductPhoto({ seed: 8, kind: 'box', color: '#c0392b', width: 1000, height: 750 });
    const outputs: Record<string, PortValues> = {};
    const result = await runGraphLocally(graph, {
      catalog: createProductCatalog(),
      artifacts: store,
      seeds: { upload: await store.put(photo.jpeg, { mime: 'image/jpeg' }) },
      models: { acquire: (id) => pool.acquire(id) },
      onEvent: (e) => {
        if (e.type === 'node.completed') outputs[e.nodeId] = e.outputs;
      },
    });
    assert.equal(result.error, undefined);
    assert.equal(pool.loads, 1, 'both clip-score nodes used the one warm model');
    const combined = (v: 'Warm' | 'Cool') => ((outputs[`clip${v}`].score as { score: number }).score + (outputs[`fid${v}`].score as { score: number }).score) / 2;
    const winner = combined('Warm') >= combined('Cool') ? 'warm' : 'cool';
    const report = outputs.best.report as { chosen: string; why: string; ranking: unknown[] };
    console.log(`ensemble graph: warm ${combined('Warm').toFixed(4)}, cool ${combined('Cool').toFixed(4)}; ${report.why}`);
    assert.equal(report.ranking.length, 2);
    assert.equal(report.chosen, (outputs[winner].image as ArtifactRef).hash);
    assert.equal((result.outputs.best.image as ArtifactRef).hash, report.chosen, 'the chosen image is the run\'s result');
  });
});
