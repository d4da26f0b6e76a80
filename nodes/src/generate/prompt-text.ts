import type { NamedColour, ProductAttributes, ProductCategory } from './product-attributes';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { SCENE_DEFAULT, TIERS, type ScenePartName, type SceneTemplate, type Tier } from './scene-templates';

/**
 * The value on a `prompt` port: the text a generation node sends, and what it was built from.
 * A type, not an interface, so that it is a plain JSON port value.
 */
export type ComposedPrompt = {
  format: 'studioflow.prompt/1';
  positive: string;
  negative: string;
  scene: string;
  sceneTitle: string;
  tier: Tier;
  /** Every option the scene offers, with the value used (defaults resolved). */
  options: Record<string, string>;
  product: {
    title: string | null;
    colours: NamedColour[];
    sizeClass: ProductAttributes['sizeClass'];
    shape: ProductAttributes['shape'];
    measured: ProductAttributes['measured'];
    category: ProductCategory;
  };
  /** The positive text, part by part, each with where it came from. */
  parts: PromptPart[];
  negativeParts: { template: string[]; tier: string[]; options: string[]; preservation: string[] };
};

export interface PromptPart {
  name: string;
  text: string;
  /** 'title', 'cut-out', 'template', 'option <name>=<value>', 'tier <tier>' or 'preservation'. */
  from: string;
}

export interface PromptChoice {
  tier: Tier;
  /** Option name → value or SCENE_DEFAULT; an option left out takes the scene's default. */
  options: Record<string, string>;
  title: string;
}

/** Negatives every scene gets: the product must come out as it went in. */
export const PRESERVATION_NEGATIVES = [
  'warped or distorted product',
  'changed product shape or proportions',
  'recoloured product',
  'altered, misspelled or invented label text',
  'added or removed logos',
  'extra products',
  'duplicate product',
  'missing product parts',
  'melted or blurred product edges',
];

/** The option values a scene offers, as an error message for a choice it does not. */
export class PromptChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptChoiceError';
  }
}

/** Resolves each option of the scene to a value; refuses values (or options) the scene does not offer. */
export function resolveOptions(scene: SceneTemplate, chosen: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(chosen)) {
    if (value !== SCENE_DEFAULT && !(name in scene.options)) {
      const offered = Object.keys(scene.options);
      throw new PromptChoiceError(`scene "${scene.id}" has no option "${name}" (it offers ${offered.length ? offered.join(', ') : 'none'}): leave ${name} at "${SCENE_DEFAULT}"`);
    }
  }
  const out: Record<string, string> = {};
  for (const [name, option] of Object.entries(scene.options)) {
    const value = chosen[name] ?? SCENE_DEFAULT;
    if (value === SCENE_DEFAULT) out[name] = option.default;
    else if (value in option.values) out[name] = value;
    else throw new PromptChoiceError(`scene "${scene.id}" offers ${name} ${Object.keys(option.values).join(', ')}; not "${value}"`);
  }
  return out;
}

/** Collapses runs of whitespace; the param schema has already refused control characters. */
export function normaliseTitle(title: string): string {
  return title.replace(/\s+/g, ' ').trim();
}

/**
 * Builds the prompt. Pure: the same scene, choice and attributes give the same value, key order and
 * all, so its JSON is byte-identical.
 */
export function composePrompt(scene: SceneTemplate, choice: PromptChoice, product: ProductAttributes, category: ProductCategory): ComposedPrompt {
  const options = resolveOptions(scene, choice.options);
  const tier = scene.tiers[choice.tier];
  const title = normaliseTitle(choice.title) || null;

  // Each scene part comes from the template unless the chosen option value replaces it.
  const sources = new Map<ScenePartName, string>();
  const partValues = {
    scene: scene.scene,
    surface: scene.surface,
    props: scene.props,
    lightDirection: scene.lightDirection,
    timeOfDay: scene.timeOfDay,
  };
  const optionNegatives: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    const picked = scene.options[name].values[value];
    for (const [part, text] of Object.entries(picked.set) as Array<[ScenePartName, string & string[]]>) {
      partValues[part] = text;
      sources.set(part, `option ${name}=${value}`);
    }
    optionNegatives.push(...(picked.negative ?? []));
  }
  const from = (part: ScenePartName) => sources.get(part) ?? 'template';

  const colourWords = listWords(product.colours.map((c) => c.name));
  const traits = [colourWords, `${product.shape} silhouette`].filter(Boolean).join(', ');
  const parts: PromptPart[] = [
    {
      name: 'product',
      text: `Professional product photograph of ${title ?? 'the product in the reference image'} (${traits})`,
      from: title ? 'title, cut-out' : 'cut-out',
    },
    { name: 'framing', text: FRAMING[product.sizeClass], from: 'cut-out' },
    { name: 'scene', text: `Set in ${partValues.scene}`, from: from('scene') },
    { name: 'surface', text: capitalise(partValues.surface), from: from('surface') },
    partValues.props.length
      ? { name: 'props', text: `Styled with ${listWords(partValues.props)}, placed beside and behind the product, never covering it`, from: from('props') }
      : { name: 'props', text: 'No props: the product stands alone', from: from('props') },
    { name: 'lighting', text: `Lighting: ${partValues.lightDirection}, ${partValues.timeOfDay}`, from: joinSources(from('lightDirection'), from('timeOfDay')) },
    { name: 'detail', text: capitalise(tier.detail.join(', ')), from: `tier ${choice.tier}` },
    { name: 'lens', text: `Shot with ${tier.lens}, ${tier.depthOfField}`, from: `tier ${choice.tier}` },
    { name: 'grading', text: `Colour grading: ${tier.grading}`, from: `tier ${choice.tier}` },
    {
      name: 'preservation',
      text: 'Keep the product exactly as in the reference image: the same shape and proportions, the same colours'
        + (colourWords ? ` (${colourWords})` : '')
        + ', the same label text, logos and markings, the same materials and finish; do not add, remove, redraw or recolour any part of it',
      from: 'preservation',
    },
  ];
  const negativeParts = {
    template: scene.negative,
    tier: tier.negative,
    options: optionNegatives,
    preservation: PRESERVATION_NEGATIVES,
  };
  const negatives = [...new Set([...negativeParts.template, ...negativeParts.tier, ...negativeParts.options, ...negativeParts.preservation])];
  return {
    format: 'studioflow.prompt/1',
    positive: parts.map((p) => `${p.text}.`).join(' '),
    negative: negatives.join(', '),
    scene: scene.id,
    sceneTitle: scene.title,
    tier: choice.tier,
    options,
    product: { title, colours: product.colours, sizeClass: product.sizeClass, shape: product.shape, measured: product.measured, category },
    parts,
    negativeParts,
  };
}

/** How much of the seller's frame the product filled, carried into the new shot's framing. */
const FRAMING: Record<ProductAttributes['sizeClass'], string> = {
  small: 'Wide framing with generous space around the product',
  medium: 'Medium framing, the product the clear subject',
  large: 'Close framing, the product filling most of the frame',
};

function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function joinSources(a: string, b: string): string {
  return a === b ? a : `${a}, ${b}`;
}

/**
 * A prompt port's value as a generation node uses it: compose-prompt's object (the contract still
 * types the port as a string, which a plain text prompt is: standard tier, no negative).
 */
export function promptOf(value: unknown, nodeType: string): { positive: string; negative: string; tier: Tier } {
  if (typeof value === 'string' && value.trim()) return { positive: value, negative: '', tier: 'standard' };
  const composed = value as Partial<ComposedPrompt> | null;
  if (typeof composed?.positive !== 'string' || !composed.positive.trim()) {
    throw new PermanentNodeError(`${nodeType}: the prompt input carries no prompt text (wire compose-prompt to it)`);
  }
  const tier = TIERS.includes(composed.tier as Tier) ? (composed.tier as Tier) : 'standard';
  return { positive: composed.positive, negative: typeof composed.negative === 'string' ? composed.negative : '', tier };
}
