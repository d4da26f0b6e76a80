import { Type } from '@sinclair/typebox';
import { defineNode, PermanentNodeError, useModel, type ModelHandle, type NodePlacement } from '@studioflow/runtime/contract';
import { COG_CONFIG_HINT, cogModel, cogModelFingerprint, type CogModelConfig } from '../models/cog-models';
import { KNOWN_COG_MODELS, modelChoices } from '../models/model-choices';
import { cogOutputFiles, readCogFile, type CogClient } from '../providers/cog';
import { INPAINT_PARAMS, inpaintProduct, type FillBackend } from './inpaint';
import { promptOf } from './prompt-text';
import { INPAINT_SCHEMAS } from './replicate-models';

/** A generated image beyond this is not one we asked for. */
const MAX_OUTPUT_BYTES = 64 * 2 ** 20;

export const fluxLocalNode = defineNode({
  type: 'flux-local',
  version: 1,
  title: 'Generate scene (FLUX Fill, own GPUs)',
  category: 'generate',
  description:
    'Generates a scene around the product with FLUX.1 Fill on our own GPUs (a Cog server per GPU, reached through the GPU runtime): '
    + 'the product is masked out so the model keeps it, and its original pixels are pasted back with a blended edge afterwards. '
    + 'Reports every denoising step; cancelling the run cancels the prediction. Needs STUDIOFLOW_COG_MODELS.',
  resource: 'gpu',
  inputs: [
    { name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'the product, placed on the canvas and kept' },
    { name: 'prompt', type: 'prompt', label: 'Prompt', description: 'from compose-prompt: the scene to paint around the product' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'the first generated image; meta.placement maps the cut-out onto it' },
    { name: 'candidates', type: 'candidates', label: 'Candidates', description: 'every generated image' },
    { name: 'mask', type: 'mask', label: 'Mask', description: 'the product as placed (its alpha on the image), 255 = product' },
  ],
  params: Type.Object({
    model: Type.String({
      default: 'flux-fill',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: 'Cog model id in STUDIOFLOW_COG_MODELS',
      // The editor offers the usual ids as choices, each with its licence; other configured ids stay allowed.
      ...modelChoices(KNOWN_COG_MODELS),
    }),
    ...INPAINT_PARAMS,
  }),
  // Every generation is new: a cached result would hand back the old picture.
  cacheable: false,
  // Several variants, and waiting for a busy server (409) counts against this.
  timeoutMs: 600_000,
  placement: placeFluxLocal,
  async run(ctx, inputs, params) {
    const prompt = promptOf(inputs.prompt, 'flux-local');
    const modelId = ctx.model ?? params.model;
    return useModel(ctx.models, modelId, (model: ModelHandle<CogClient, CogModelConfig>) => inpaintProduct(ctx, { cutout: inputs.cutout, prompt }, params, cogFillBackend(model)));
  },
});

/**
 * On the GPU runtime, in the queue of its model, when STUDIOFLOW_COG_MODELS configures it; refused
 * when the plan is compiled otherwise (nothing charged for a run that could never generate).
 */
function placeFluxLocal(params: { model?: string }): NodePlacement {
  const id = params.model ?? 'flux-fill';
  const model = cogModel(id);
  if (!model) throw new Error(`flux-local needs a local FLUX server: model "${id}" is not configured (${COG_CONFIG_HINT})`);
  return { resource: 'gpu', model: { id, fingerprint: cogModelFingerprint(model) } };
}

/** A slot's Cog server as an inpainting backend: one prediction per variant, its time recorded as GPU time. */
export function cogFillBackend(model: ModelHandle<CogClient, CogModelConfig>): FillBackend {
  const client = model.session;
  const schema = INPAINT_SCHEMAS[model.spec.schema];
  if (!schema) throw new PermanentNodeError(`Cog model "${model.id}" names an unknown schema "${model.spec.schema}"`);
  return {
    schema,
    title: schema.title,
    meta: { provider: 'cog', model: model.id, schema: schema.id, server: client.baseUrl, device: model.device },
    async generate(input, { signal, onProgress, onStatus }) {
      const prediction = await client.predict(input, { signal, onProgress, onBusy: () => onStatus('waiting for a free slot on the server') });
      const [file] = cogOutputFiles(prediction);
      if (!file) throw new PermanentNodeError(`Cog prediction ${prediction.id} on ${client.baseUrl} succeeded without an output image`);
      const predictTime = prediction.metrics?.predict_time;
      return {
        image: await readCogFile(file, fetch, signal, MAX_OUTPUT_BYTES),
        // The server's GPU was ours for the prediction: its time is what the image cost.
        meta: { predictionId: prediction.id, predictTime, gpuSeconds: predictTime },
      };
    },
  };
}
