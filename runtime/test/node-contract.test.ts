import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { LocalArtifactStore } from '../src/artifacts';
import { declaredInputs, defineNode, describeNode, isPermanentError, NodeCatalog, type ArtifactRef, type PortValues } from '../src/contract';
import { NODE_TYPE_FIELDS } from '../src/graph';
import { bindSeeds, compilePlan, DEFAULT_TIMEOUT_MS, GraphInvalidError } from '../src/scheduler';
import { runGraphLocally } from '../src/local';

const ref = (hash: string): ArtifactRef => ({ hash, mime: 'image/png', bytes: 1 });

const ports = {
  type: 'taker',
  inputs: [
    { name: 'image', type: 'image' },
    { name: 'mask', type: 'mask', optional: true },
    { name: 'shots', type: 'candidates', optional: true },
    { name: 'notes', type: 'report', multiple: true, optional: true },
  ],
  seeds: [{ name: 'upload', type: 'image' }],
} as const;

function permanent(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err) => isPermanentError(err) && message.test((err as Error).message));
}

describe('the inputs a node receives', () => {
  it('are the declared ports only, with an optional input left empty upstream left out', () => {
    const given = { image: ref('a'), mask: null, upload: ref('u'), stray: 1 };
    assert.deepEqual(declaredInputs(ports, given), { image: ref('a'), upload: ref('u') });
  });

  it('turn a single image on a candidates port into a list of one, and drop empty values from a list', () => {
    const got = declaredInputs(ports, { image: ref('a'), upload: ref('u'), shots: ref('s'), notes: [{ n: 1 }, null] });
    assert.deepEqual(got.shots, [ref('s')]);
    assert.deepEqual(got.notes, [{ n: 1 }]);
  });

  it('fail permanently, naming the port, when a required input or a seed has no value', () => {
    permanent(() => declaredInputs(ports, { upload: ref('u') }), /taker: no value arrived on input "image" \(image\)/);
    permanent(() => declaredInputs(ports, { image: ref('a') }), /no value arrived on input "upload"/);
  });

  it('fail permanently when an artifact port carries something else', () => {
    permanent(() => declaredInputs(ports, { image: { score: 1 }, upload: ref('u') }), /input "image" \(image\) is not an artifact/);
    permanent(() => declaredInputs(ports, { image: ref('a'), upload: ref('u'), shots: ['x'] }), /input "shots" \(candidates\) is not a list of artifacts/);
  });
});

describe('a run whose node would get no required input', () => {
  const source = defineNode({
    type: 'maybe-mask',
    version: 1,
    title: 'Maybe mask',
    category: 'test',
    description: 'Produces a report, and a mask only when asked',
    resource: 'cpu',
    inputs: [],
    outputs: [{ name: 'mask', type: 'mask' }, { name: 'report', type: 'report' }],
    params: Type.Object({ mask: Type.Boolean({ default: false }) }),
    cacheable: false,
    async run(ctx, _inputs, params) {
      const outputs: PortValues = { report: { made: params.mask } };
      if (params.mask) outputs.mask = await ctx.artifacts.put(Buffer.from('mask'), { mime: 'image/png' });
      return outputs;
    },
  });
  let ran = 0;
  const taker = defineNode({
    type: 'needs-mask',
    version: 1,
    title: 'Needs mask',
    category: 'test',
    description: 'Requires a mask',
    resource: 'cpu',
    inputs: [{ name: 'mask', type: 'mask' }],
    outputs: [{ name: 'report', type: 'report' }],
    params: Type.Object({}),
    cacheable: false,
    async run(_ctx, inputs) {
      ran++;
      return { report: { hash: inputs.mask.hash } };
    },
  });
  const catalog = new NodeCatalog([source, taker]);
  const graph = (mask: boolean) => ({
    nodes: [{ id: 'src', type: 'maybe-mask', params: { mask } }, { id: 'take', type: 'needs-mask' }],
    edges: [{ source: 'src', sourceHandle: 'mask', target: 'take', targetHandle: 'mask' }],
  });

  it('fails that node, naming the port, when the wired output stayed empty', async () => {
    const artifacts = new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'sf-contract-')));
    const empty = await runGraphLocally(graph(false), { catalog, artifacts });
    assert.match(empty.error ?? '', /take: needs-mask: no value arrived on input "mask" \(mask\)/);
    assert.equal(ran, 0, 'the node ran without its input');
    const full = await runGraphLocally(graph(true), { catalog, artifacts });
    assert.equal(full.error, undefined);
    assert.equal(ran, 1);
  });

  it('is refused before it starts when a declared seed is not given', () => {
    const seeded = defineNode({
      type: 'seeded',
      version: 1,
      title: 'Seeded',
      category: 'test',
      description: 'Takes the upload',
      resource: 'cpu',
      inputs: [],
      seeds: [{ name: 'upload', type: 'image' }],
      outputs: [{ name: 'image', type: 'image' }],
      params: Type.Object({}),
      cacheable: false,
      async run(_ctx, inputs) {
        return { image: inputs.upload };
      },
    });
    const plan = compilePlan({ nodes: [{ id: 'in', type: 'seeded' }], edges: [] }, new NodeCatalog([seeded]).descriptors);
    assert.throws(() => bindSeeds(plan, {}), GraphInvalidError);
    assert.throws(() => bindSeeds(plan, { upload: undefined as never }), /node "in" needs "upload" when the run starts/);
    assert.deepEqual(bindSeeds(plan, { upload: ref('u') }), { in: { upload: ref('u') } });
  });
});

describe('the fields a node type declares', () => {
  const declared = defineNode({
    type: 'every-field',
    version: 3,
    title: 'Every field',
    category: 'test',
    description: 'Declares every optional field',
    resource: 'gpu',
    inputs: [{ name: 'image', type: 'image', optional: true }],
    outputs: [{ name: 'report', type: 'report' }],
    seeds: [{ name: 'upload', type: 'image' }],
    params: Type.Object({ level: Type.Number({ default: 1 }) }),
    cacheable: true,
    retries: 5,
    timeoutMs: 90_000,
    parks: false,
    cacheSalt: () => 'model-a',
    async run() {
      return { report: {} };
    },
  });

  it('all reach the descriptor, and the plan node takes its identity and cache facts from it', () => {
    const descriptor = describeNode(declared);
    for (const key of NODE_TYPE_FIELDS) assert.deepEqual(descriptor[key], declared[key], key);
    assert.match(descriptor.cacheSalt ?? '', /^[0-9a-f]{8}$/);
    const plan = compilePlan({ nodes: [{ id: 'n', type: 'every-field' }], edges: [] }, [descriptor]);
    const { type, version, resource, cacheable, cacheSalt, attempts, timeoutMs, params } = plan.nodes.n;
    assert.deepEqual({ type, version, resource, cacheable, cacheSalt, attempts, timeoutMs, params }, {
      type: 'every-field', version: 3, resource: 'gpu', cacheable: true, cacheSalt: descriptor.cacheSalt, attempts: 5, timeoutMs: 90_000, params: { level: 1 },
    });
  });

  it('are left out of the descriptor when a node does not declare them', () => {
    const { seeds, retries, timeoutMs, parks, cacheSalt, ...lean } = declared;
    const descriptor = describeNode({ ...lean, type: 'lean' });
    for (const key of ['seeds', 'retries', 'timeoutMs', 'parks', 'cacheSalt']) assert.equal(key in descriptor, false, key);
    assert.equal(compilePlan({ nodes: [{ id: 'n', type: 'lean' }], edges: [] }, [descriptor]).nodes.n.timeoutMs, DEFAULT_TIMEOUT_MS);
  });
});
