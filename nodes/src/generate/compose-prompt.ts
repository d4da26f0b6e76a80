import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { defineNode, isArtifactRef, PermanentNodeError } from '@studioflow/runtime/contract';
import { loadImage } from '../image/image-artifacts';
import { dominantColours, productCategory, silhouetteAttributes } from './product-attributes';
import { composePrompt, PromptChoiceError } from './prompt-text';
import { loadSceneTemplates, SCENE_DEFAULT, TIERS, type SceneLibrary, type Tier } from './scene-templates';

export const TITLE_MAX_LENGTH = 100;
/**
 * One line of plain text: no control characters (C0, DEL, C1), no line or paragraph separators, no
 * markup or prompt-syntax brackets. Written with \u escapes so it means the same with or without
 * the regex u flag (ajv uses it, TypeBox's checker does not).
 */
export const TITLE_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029<>{}\\[\\]\\\\|`]*$';

export const SCENES: SceneLibrary = loadSceneTemplates();

export const composePromptNode = defineNode({
  type: 'compose-prompt',
  version: 1,
  title: 'Compose prompt',
  category: 'generate',
  description:
    'Builds the generation prompt from a scene template (templates/scenes), the product title and what the cut-out shows '
    + '(colours by name, size in frame, silhouette), with directives to keep the product exactly as it is. No free-form '
    + 'prompt: the scene, the tier and the scene\'s options are choices.',
  resource: 'cpu',
  inputs: [{ name: 'cutout', type: 'cutout', label: 'Cut-out' }],
  outputs: [
    {
      name: 'prompt',
      type: 'prompt',
      label: 'Prompt',
      description: 'positive and negative text, the scene, the tier, the options used and the parts the text was built from',
    },
  ],
  params: composePromptParams(SCENES),
  cacheable: true,
  // Editing a scene file changes the prompt without changing any param.
  cacheSalt: () => `scenes:${SCENES.fingerprint}`,
  timeoutMs: 30_000,
  async run(ctx, inputs, params) {
    const input = inputs.cutout;
    if (!isArtifactRef(input)) throw new PermanentNodeError('compose-prompt needs a cut-out input');
    const scene = SCENES.byId.get(params.scene);
    if (!scene) throw new PermanentNodeError(`unknown scene "${params.scene}"; the scenes are ${[...SCENES.byId.keys()].join(', ')}`);
    const cut = await loadImage(ctx, input, 'cut-out');
    ctx.progress(0.3, 'reading the product');
    const colours = dominantColours(cut);
    if (!colours.length) throw new PermanentNodeError('the cut-out has no opaque pixels: no product to describe');
    const product = { colours, ...silhouetteAttributes(cut, input.meta) };
    // Option params are named by the scene data, so they are not in the params' static type.
    const options: Record<string, string> = {};
    for (const name of SCENES.optionNames) {
      const value = (params as Record<string, unknown>)[name];
      if (typeof value === 'string') options[name] = value;
    }
    try {
      return { prompt: composePrompt(scene, { tier: params.tier, options, title: params.title }, product, await productCategory()) };
    } catch (err) {
      if (err instanceof PromptChoiceError) throw new PermanentNodeError(err.message);
      throw err;
    }
  },
});

/**
 * The param schema from the scene data: the scene and each option become selects in the editor.
 * An option's select lists every value some scene offers; `allOf` holds each scene to its own, so
 * the server refuses a graph that asks a scene for an option value it does not have.
 */
function composePromptParams(library: SceneLibrary) {
  const literals = (values: readonly string[], titles?: ReadonlyMap<string, string>) =>
    values.map((v) => Type.Literal(v, titles?.has(v) ? { title: titles.get(v) } : {}));
  const sceneTitles = new Map(library.scenes.map((s) => [s.id, s.title]));
  const optionParams: Record<string, TUnion<TLiteral<string>[]>> = {};
  for (const name of library.optionNames) {
    const offering = library.scenes.filter((s) => name in s.options);
    const values = [...new Set(offering.flatMap((s) => Object.keys(s.options[name].values)))].sort();
    const titles = new Map<string, string>([[SCENE_DEFAULT, "The scene's choice"]]);
    for (const s of offering) for (const [v, o] of Object.entries(s.options[name].values)) if (!titles.has(v)) titles.set(v, o.title);
    optionParams[name] = Type.Union(literals([SCENE_DEFAULT, ...values], titles), {
      default: SCENE_DEFAULT,
      title: offering[0].options[name].title,
      description: `Offered by ${offering.map((s) => `${s.id} (${Object.keys(s.options[name].values).join(', ')}; default ${s.options[name].default})`).join('; ')}`,
    });
  }
  const perScene = library.scenes.map((s) => ({
    if: { properties: { scene: { const: s.id } }, required: ['scene'] },
    then: {
      properties: Object.fromEntries(library.optionNames.map((name) => [name, { enum: [SCENE_DEFAULT, ...Object.keys(s.options[name]?.values ?? {})] }])),
    },
  }));
  return Type.Object(
    {
      scene: Type.Union(literals(library.scenes.map((s) => s.id), sceneTitles), {
        default: library.scenes[0].id,
        description: 'The scene template (templates/scenes)',
      }),
      tier: Type.Union(TIERS.map((t) => Type.Literal<Tier>(t)), {
        default: 'standard',
        description: 'premium: richer detail, a named lens and depth of field, and colour grading',
      }),
      title: Type.String({
        default: '',
        maxLength: TITLE_MAX_LENGTH,
        pattern: TITLE_PATTERN,
        description: 'The product name as the seller types it, one line of plain text: it names the product in the prompt',
      }),
      ...optionParams,
    },
    { allOf: perScene },
  );
}
