import type { Tier } from './scene-templates';

/**
 * Replicate models as data: what each one's input is called and which of our choices it takes.
 * A field a model lacks is absent (Seedream 4/4.5 take no seed and no guidance): the node then
 * leaves the choice out rather than sending an input the model rejects.
 */
export interface ReplicateModelSpec {
  id: string;
  /** `owner/name` on Replicate (an official model: no version pin). */
  replicate: string;
  title: string;
  input: {
    prompt: string;
    /** Negative text: models without one get it appended to the prompt as "Avoid: …". */
    negativePrompt?: string;
    /** The reference image: a list (`image_input`) or one image. */
    reference?: { name: string; list: boolean };
    mask?: string;
    seed?: string;
    guidance?: { name: string; value: number };
    steps?: { name: string; value: number };
    aspectRatio?: { name: string; values: readonly AspectRatio[] };
    /** Our size names to the model's. */
    size?: { name: string; values: Readonly<Record<OutputSize, string>> };
    maxImages?: { name: string; max: number };
  };
  /** Inputs always sent as they are. */
  fixed?: Record<string, unknown>;
  /** USD per output image (the model's list price when this table was written; check before billing on it). */
  usdPerImage: number;
}

export const ASPECT_RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export const OUTPUT_SIZES = ['1K', '2K', '4K'] as const;
export type OutputSize = (typeof OUTPUT_SIZES)[number];

const SEEDREAM_4_INPUT: ReplicateModelSpec['input'] = {
  prompt: 'prompt',
  reference: { name: 'image_input', list: true },
  aspectRatio: { name: 'aspect_ratio', values: ASPECT_RATIOS },
  size: { name: 'size', values: { '1K': '1K', '2K': '2K', '4K': '4K' } },
  maxImages: { name: 'max_images', max: 15 },
};

export const REPLICATE_MODELS: readonly ReplicateModelSpec[] = [
  {
    id: 'seedream-4',
    replicate: 'bytedance/seedream-4',
    title: 'Seedream 4',
    input: SEEDREAM_4_INPUT,
    // Several images come back only when sequential generation is allowed.
    fixed: { sequential_image_generation: 'auto' },
    usdPerImage: 0.03,
  },
  {
    id: 'seedream-4.5',
    replicate: 'bytedance/seedream-4.5',
    title: 'Seedream 4.5',
    input: SEEDREAM_4_INPUT,
    fixed: { sequential_image_generation: 'auto' },
    usdPerImage: 0.04,
  },
  {
    id: 'seedream-3',
    replicate: 'bytedance/seedream-3',
    title: 'Seedream 3 (text to image, no reference)',
    input: {
      prompt: 'prompt',
      seed: 'seed',
      guidance: { name: 'guidance_scale', value: 2.5 },
      aspectRatio: { name: 'aspect_ratio', values: ASPECT_RATIOS },
      size: { name: 'size', values: { '1K': 'small', '2K': 'regular', '4K': 'big' } },
    },
    usdPerImage: 0.03,
  },
  {
    id: 'flux-kontext-dev',
    replicate: 'black-forest-labs/flux-kontext-dev',
    title: 'FLUX.1 Kontext dev (fast)',
    input: {
      prompt: 'prompt',
      reference: { name: 'input_image', list: false },
      seed: 'seed',
      guidance: { name: 'guidance', value: 2.5 },
      steps: { name: 'num_inference_steps', value: 28 },
      aspectRatio: { name: 'aspect_ratio', values: ASPECT_RATIOS },
    },
    fixed: { output_format: 'png', go_fast: true },
    usdPerImage: 0.025,
  },
  {
    id: 'flux-fill-dev',
    replicate: 'black-forest-labs/flux-fill-dev',
    title: 'FLUX.1 Fill dev (inpainting: white mask = regenerate)',
    input: {
      prompt: 'prompt',
      reference: { name: 'image', list: false },
      mask: 'mask',
      seed: 'seed',
      guidance: { name: 'guidance', value: 30 },
      steps: { name: 'num_inference_steps', value: 28 },
    },
    fixed: { output_format: 'png' },
    usdPerImage: 0.04,
  },
];

/** The model a tier runs: standard a fast one, premium Seedream. */
export const TIER_MODELS: Readonly<Record<Tier, string>> = { standard: 'flux-kontext-dev', premium: 'seedream-4' };

export function replicateModel(id: string): ReplicateModelSpec {
  const model = REPLICATE_MODELS.find((m) => m.id === id);
  if (!model) throw new Error(`unknown Replicate model "${id}"; the models are ${REPLICATE_MODELS.map((m) => m.id).join(', ')}`);
  return model;
}

export interface GenerationChoice {
  positive: string;
  negative: string;
  /** The reference image as a data URL or an uploaded file URL. */
  reference?: string;
  aspectRatio: AspectRatio;
  size: OutputSize;
  images: number;
  /** -1: the model's own random seed. */
  seed: number;
}

/** The model's input for our choices: only the fields the model declares. */
export function modelInput(model: ReplicateModelSpec, choice: GenerationChoice): Record<string, unknown> {
  const { input } = model;
  const avoid = !input.negativePrompt && choice.negative ? ` Avoid: ${choice.negative}.` : '';
  const out: Record<string, unknown> = { ...model.fixed, [input.prompt]: `${choice.positive}${avoid}` };
  if (input.negativePrompt && choice.negative) out[input.negativePrompt] = choice.negative;
  if (input.reference && choice.reference) out[input.reference.name] = input.reference.list ? [choice.reference] : choice.reference;
  if (input.seed && choice.seed >= 0) out[input.seed] = choice.seed;
  if (input.guidance) out[input.guidance.name] = input.guidance.value;
  if (input.steps) out[input.steps.name] = input.steps.value;
  if (input.aspectRatio?.values.includes(choice.aspectRatio)) out[input.aspectRatio.name] = choice.aspectRatio;
  if (input.size) out[input.size.name] = input.size.values[choice.size];
  if (input.maxImages) out[input.maxImages.name] = Math.min(input.maxImages.max, choice.images);
  return out;
}

/**
 * Inpainting models' input as data: the names of our choices in each model's schema (a choice the
 * model lacks is absent and not sent) and what is always sent. The mask is white where the model
 * regenerates and black where it keeps the image.
 */
export interface InpaintSchema {
  id: string;
  title: string;
  input: {
    prompt: string;
    image: string;
    mask: string;
    guidance?: string;
    steps?: string;
    seed?: string;
    strength?: string;
  };
  fixed?: Record<string, unknown>;
}

export const INPAINT_SCHEMAS: Readonly<Record<string, InpaintSchema>> = {
  // FLUX.1 Fill dev on our own Cog server (cog-flux's fill predictor over diffusers' FluxFillPipeline,
  // which also takes strength); output size follows the input.
  'flux-fill': {
    id: 'flux-fill',
    title: 'FLUX.1 Fill dev (local Cog server)',
    input: { prompt: 'prompt', image: 'image', mask: 'mask', guidance: 'guidance', steps: 'num_inference_steps', seed: 'seed', strength: 'strength' },
    fixed: { num_outputs: 1, output_format: 'png', megapixels: 'match_input' },
  },
  // The same model on Replicate (black-forest-labs/flux-fill-dev): no strength.
  'flux-fill-dev': {
    id: 'flux-fill-dev',
    title: 'FLUX.1 Fill dev (Replicate)',
    input: { prompt: 'prompt', image: 'image', mask: 'mask', guidance: 'guidance', steps: 'num_inference_steps', seed: 'seed' },
    fixed: { num_outputs: 1, output_format: 'png', megapixels: 'match_input' },
  },
};

export interface InpaintChoice {
  prompt: string;
  /** Data URLs or file URLs. */
  image: string;
  mask: string;
  guidance: number;
  steps: number;
  seed: number;
  strength: number;
}

/** The model's input for an inpainting choice: only the fields its schema declares. */
export function inpaintInput(schema: InpaintSchema, choice: InpaintChoice): Record<string, unknown> {
  const { input } = schema;
  const out: Record<string, unknown> = { ...schema.fixed, [input.prompt]: choice.prompt, [input.image]: choice.image, [input.mask]: choice.mask };
  if (input.guidance) out[input.guidance] = choice.guidance;
  if (input.steps) out[input.steps] = choice.steps;
  if (input.seed && choice.seed >= 0) out[input.seed] = choice.seed;
  if (input.strength) out[input.strength] = choice.strength;
  return out;
}
