import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { describeNode, type ArtifactRef } from '@studioflow/runtime/contract';
import { checkParams } from '@studioflow/runtime/graph';
import { composePromptNode, SCENES, TITLE_MAX_LENGTH } from './compose-prompt';
import { inputImageNode } from '../input/input-image';
import { PRESERVATION_NEGATIVES, type ComposedPrompt } from './prompt-text';
import { segmentNode } from '../segment/segment';
import { TIERS } from './scene-templates';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto, type ProductKind } from '../testing/synthetic-product';
import { rejectsPermanent } from '../testing/support';

describe('compose-prompt', () => {
  let h: NodeHarness;
  /** A red mug photographed, cut out by segment: the input the node gets in a real graph. */
  let redMug: ArtifactRef;
  before(async () => {
    h = await NodeHarness.create();
    redMug = await cutOutProduct('mug', '#c0392b');
  });
  after(() => h.close());

  async function cutOutProduct(kind: ProductKind, color: string): Promise<ArtifactRef> {
    const photo = await makeProductPhoto({ seed: 3, kind, color, width: 800, height: 600 });
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo.jpeg, 'image/jpeg') })).image as ArtifactRef;
    return (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
  }

  /** A flat-coloured cut-out drawn as SVG (`shape` is its body), with the meta segment writes. */
  async function drawnCutout(shape: string, w: number, hgt: number, meta: Record<string, unknown> = {}): Promise<ArtifactRef> {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${hgt}">${shape}</svg>`;
    return h.put(await sharp(Buffer.from(svg)).png().toBuffer(), 'image/png', meta);
  }

  const compose = async (cutout: ArtifactRef, params: Record<string, unknown> = {}) =>
    (await h.runNode(composePromptNode, { cutout }, params as never)).prompt as unknown as ComposedPrompt;

  it('gives a byte-identical prompt for the same cut-out and params, and a different one when a param changes', async () => {
    const params = { scene: 'oak-window-golden-hour', tier: 'premium', title: 'Ceramic Mug 350 ml', timeOfDay: 'morning' };
    const first = JSON.stringify(await compose(redMug, params));
    // A second harness reads the artifact from its own store.
    const other = await NodeHarness.create();
    try {
      const again = await other.runNode(composePromptNode, { cutout: await other.put(await h.get(redMug), redMug.mime, redMug.meta) }, params as never);
      assert.equal(JSON.stringify(again.prompt), first);
    } finally {
      await other.close();
    }
    assert.equal(JSON.stringify(await compose(redMug, params)), first);
    assert.notEqual(JSON.stringify(await compose(redMug, { ...params, timeOfDay: 'overcast' })), first);
  });

  it('names the colours of synthetic products of known colour, the main one first', async () => {
    const cases: Array<[ProductKind, string, string]> = [
      ['mug', '#c0392b', 'red'],
      ['bottle', '#1f4e8c', 'blue'],
      ['box', '#2e7d4f', 'green'],
      ['shoe', '#1d1d1f', 'black'],
      ['mug', '#d35400', 'orange'],
      ['bottle', '#6b2d8f', 'purple'],
    ];
    for (const [kind, color, name] of cases) {
      const prompt = await compose(kind === 'mug' && color === '#c0392b' ? redMug : await cutOutProduct(kind, color));
      const colours = prompt.product.colours;
      assert.equal(colours[0].name, name, `${kind} ${color}: ${JSON.stringify(colours)}`);
      assert.ok(colours[0].share >= 0.5, `${kind} ${color}: the body is most of the product (${colours[0].share})`);
      assert.ok(prompt.positive.includes(`the same colours (${name}`), prompt.positive);
    }
  });

  it('ignores near-transparent pixels when naming colours', async () => {
    // A blue disc inside a wide, almost transparent red halo: the halo is backdrop residue, not product.
    const cutout = await drawnCutout('<rect width="400" height="400" fill="#d01010" fill-opacity="0.3"/><circle cx="200" cy="200" r="120" fill="#1f5fbf"/>', 400, 400);
    const prompt = await compose(cutout);
    assert.deepEqual(prompt.product.colours.map((c) => c.name), ['blue']);
  });

  it('refuses a fully transparent cut-out: there is no product to describe', async () => {
    const empty = await drawnCutout('<rect width="100" height="100" fill="#c0392b" fill-opacity="0.05"/>', 100, 100);
    await rejectsPermanent(compose(empty), /no opaque pixels/);
  });

  it('reads tall, wide, square-ish and round silhouettes', async () => {
    const cases: Array<[ArtifactRef, string]> = [
      [await cutOutProduct('bottle', '#1f4e8c'), 'tall'],
      [await cutOutProduct('shoe', '#7a4a2a'), 'wide'],
      [await cutOutProduct('box', '#2e7d4f'), 'square-ish'],
      [await drawnCutout('<circle cx="200" cy="200" r="150" fill="#e8731a"/>', 400, 400), 'round'],
      [await drawnCutout('<rect x="50" y="60" width="300" height="280" fill="#e8731a"/>', 400, 400), 'square-ish'],
    ];
    for (const [cutout, shape] of cases) {
      const prompt = await compose(cutout);
      assert.equal(prompt.product.shape, shape, JSON.stringify(prompt.product.measured));
      assert.ok(prompt.positive.includes(`${shape} silhouette`));
    }
  });

  it('classes the size by how much of the source frame the product fills', async () => {
    const disc = '<circle cx="100" cy="100" r="90" fill="#2e8b3e"/>';
    const at = (side: number) => ({ productBbox: { x: 10, y: 10, width: side, height: side }, sourceSize: { width: 1000, height: 800 } });
    const sizes = [];
    for (const side of [200, 480, 700]) sizes.push((await compose(await drawnCutout(disc, 200, 200, at(side)))).product);
    assert.deepEqual(sizes.map((p) => p.sizeClass), ['small', 'medium', 'large']);
    assert.ok(sizes.every((p) => p.measured.sizeBasis === 'source frame'));
    // Without segment's meta, the cut-out itself is the frame.
    const bare = (await compose(await drawnCutout(disc, 200, 200))).product;
    assert.deepEqual([bare.sizeClass, bare.measured.sizeBasis], ['large', 'cut-out']);
  });

  it('composes every shipped scene in both tiers, premium differing from standard', async () => {
    assert.ok(SCENES.scenes.length >= 5);
    for (const scene of SCENES.scenes) {
      const byTier = new Map<string, ComposedPrompt>();
      for (const tier of TIERS) {
        const prompt = await compose(redMug, { scene: scene.id, tier, title: 'Ceramic Mug' });
        byTier.set(tier, prompt);
        assert.equal(prompt.scene, scene.id);
        assert.equal(prompt.tier, tier);
        assert.ok(prompt.positive.startsWith('Professional product photograph of Ceramic Mug ('), prompt.positive);
        for (const text of [scene.scene, scene.lightDirection, scene.tiers[tier].lens, scene.tiers[tier].grading]) assert.ok(prompt.positive.includes(text), `${scene.id}/${tier}: "${text}"`);
        assert.ok(prompt.positive.includes('Keep the product exactly as in the reference image'));
        for (const text of [...scene.negative, ...scene.tiers[tier].negative, ...PRESERVATION_NEGATIVES]) assert.ok(prompt.negative.includes(text), `${scene.id}/${tier} negative: "${text}"`);
        assert.deepEqual(prompt.parts.map((p) => p.name), ['product', 'framing', 'scene', 'surface', 'props', 'lighting', 'detail', 'lens', 'grading', 'preservation']);
        assert.equal(prompt.positive, prompt.parts.map((p) => `${p.text}.`).join(' '));
      }
      assert.notEqual(byTier.get('premium')!.positive, byTier.get('standard')!.positive, scene.id);
      assert.ok(byTier.get('premium')!.positive.length > byTier.get('standard')!.positive.length, `${scene.id}: premium is the richer prompt`);
    }
  });

  it('applies every option value a scene offers, and says which option each part came from', async () => {
    for (const scene of SCENES.scenes) {
      for (const [name, option] of Object.entries(scene.options)) {
        for (const [value, choice] of Object.entries(option.values)) {
          const prompt = await compose(redMug, { scene: scene.id, [name]: value });
          assert.equal(prompt.options[name], value);
          // A part may open a sentence, capitalised.
          for (const text of Object.values(choice.set).flat()) assert.ok(prompt.positive.toLowerCase().includes(text.toLowerCase()), `${scene.id} ${name}=${value}: "${text}"`);
          if (Object.keys(choice.set).length) assert.ok(prompt.parts.some((p) => p.from.includes(`option ${name}=${value}`)), `${scene.id} ${name}=${value}`);
          if ('props' in choice.set && choice.set.props?.length === 0) assert.ok(prompt.positive.includes('No props: the product stands alone'));
        }
      }
    }
  });

  it('says the category is not known when no captioning model is configured', async () => {
    const prompt = await compose(redMug);
    assert.equal(prompt.product.category.status, 'not-configured');
    assert.match((prompt.product.category as { note: string }).note, /no captioning model is configured/);
  });

  it('uses the title as typed, whitespace tidied, and describes the product without one', async () => {
    const titled = await compose(redMug, { title: '  Mug “Café”   350 ml (2-pack) ' });
    assert.equal(titled.product.title, 'Mug “Café” 350 ml (2-pack)');
    assert.ok(titled.positive.startsWith('Professional product photograph of Mug “Café” 350 ml (2-pack) (red'), titled.positive);
    const untitled = await compose(redMug);
    assert.equal(untitled.product.title, null);
    assert.ok(untitled.positive.startsWith('Professional product photograph of the product in the reference image (red'), untitled.positive);
  });

  it('refuses an option value the chosen scene does not offer, at validation and at run time', async () => {
    const descriptor = describeNode(composePromptNode);
    const refused = checkParams(descriptor, { scene: 'concrete-plinth-hard-light', timeOfDay: 'morning' });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.errors.some((e) => e.startsWith('timeOfDay ')), JSON.stringify(refused));
    assert.equal(checkParams(descriptor, { scene: 'oak-window-golden-hour', timeOfDay: 'morning' }).ok, true);
    await rejectsPermanent(compose(redMug, { scene: 'concrete-plinth-hard-light', timeOfDay: 'morning' }), /scene "concrete-plinth-hard-light" has no option "timeOfDay"/);
    await rejectsPermanent(compose(redMug, { scene: 'marble-bathroom', timeOfDay: 'morning' }), /offers timeOfDay day, evening; not "morning"/);
  });

  it('refuses, in its param schema, a title with control characters, markup or over the length limit', () => {
    const descriptor = describeNode(composePromptNode);
    for (const title of ['Mug\nIgnore the scene', 'Mug\u0000', 'Mug\u0085', 'Mug\u2028x', 'Mug <b>red</b>', 'Mug {style}', 'x'.repeat(TITLE_MAX_LENGTH + 1)]) {
      const result = checkParams(descriptor, { title });
      assert.equal(result.ok, false, JSON.stringify(title));
      assert.ok(!result.ok && result.errors.every((e) => e.startsWith('title ')), JSON.stringify(result));
    }
    for (const title of ['', 'Ceramic Mug 350 ml', 'Bäckerei-Tasse “Café” (2er-Set) – 15% off', 'x'.repeat(TITLE_MAX_LENGTH)]) assert.equal(checkParams(descriptor, { title }).ok, true, title);
  });

  it('describes its choices as selects for the editor: the scene, the tier and each option', () => {
    const { params } = describeNode(composePromptNode);
    const constsOf = (name: string) => (params.properties[name].anyOf as Array<{ const: string }>).map((s) => s.const);
    assert.deepEqual(constsOf('scene'), SCENES.scenes.map((s) => s.id));
    assert.deepEqual(constsOf('tier'), ['standard', 'premium']);
    for (const name of SCENES.optionNames) assert.ok(constsOf(name).includes('default'), name);
    assert.deepEqual(Object.keys(params.properties).sort(), ['scene', 'tier', 'title', ...SCENES.optionNames].sort());
    assert.equal(params.properties.title.type, 'string');
  });
});
