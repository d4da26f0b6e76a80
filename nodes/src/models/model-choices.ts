/**
 * The model ids the editor offers for a model param, each with its licence: JSON Schema `examples`
 * plus `x-licences` (as segment's presets). Operators configure the models themselves
 * (STUDIOFLOW_CLIP_MODELS, STUDIOFLOW_MODELS, STUDIOFLOW_COG_MODELS); these are the ids the docs
 * suggest for the common ones. Any other configured id stays allowed.
 */
export interface KnownModel {
  id: string;
  licence: string;
}

/** OpenAI CLIP exported to ONNX (vision and text encoders), for clip-score. */
export const KNOWN_CLIP_MODELS: readonly KnownModel[] = [
  { id: 'clip-vit-b-32', licence: 'MIT (OpenAI CLIP ViT-B/32): safe for commercial use' },
  { id: 'clip-vit-l-14', licence: 'MIT (OpenAI CLIP ViT-L/14): safe for commercial use' },
];

/** ONNX upscalers (STUDIOFLOW_MODELS presets with "task": "upscale"), for upscale. */
export const KNOWN_UPSCALERS: readonly KnownModel[] = [
  { id: 'realesrgan-x4', licence: 'BSD-3-Clause (Real-ESRGAN x4plus): safe for commercial use' },
  { id: 'realesrgan-x2', licence: 'BSD-3-Clause (Real-ESRGAN x2plus): safe for commercial use' },
];

/** Models served by Cog on our GPUs (STUDIOFLOW_COG_MODELS), for flux-local. */
export const KNOWN_COG_MODELS: readonly KnownModel[] = [
  { id: 'flux-fill', licence: 'FLUX.1 [dev] Non-Commercial License (FLUX.1 Fill dev): commercial use needs a licence from Black Forest Labs' },
];

/** The schema keywords that make the editor offer `models` as choices with their licences (`auto` first when the param has it). */
export function modelChoices(models: readonly KnownModel[], opts: { auto?: boolean } = {}): { examples: string[]; 'x-licences': Record<string, string> } {
  return {
    examples: [...(opts.auto ? ['auto'] : []), ...models.map((m) => m.id)],
    'x-licences': Object.fromEntries(models.map((m) => [m.id, m.licence])),
  };
}
