import sharp from 'sharp';
import { Type } from '@sinclair/typebox';
import type { InferenceSession } from 'onnxruntime-node';
import { defineNode, PermanentNodeError, useModel, type ModelHandle, type NodePlacement } from '@studioflow/runtime/contract';
import { modelFingerprint, resolveUpscaler, type SegmentationPreset } from '../models/model-registry';
import { KNOWN_UPSCALERS, modelChoices } from '../models/model-choices';
import { loadImage, storeImage } from '../image/image-artifacts';
import { rawInput } from '../image/raw-image';

/** An upscaler as the GPU runtime's pool hands it out: the preset (task upscale) travels with the session. */
type UpscalerModel = ModelHandle<InferenceSession, SegmentationPreset>;

/**
 * Enlarges a cut-out with an upscaler model from the model registry (STUDIOFLOW_MODELS, `"task":
 * "upscale"`), so a small photo still makes a full-size shot: studio-composite counts the model's
 * enlargement as detail (meta.workingScale grows by the factor) and applies its 2× cap on top.
 * Without an upscaler configured the cut-out passes through unchanged.
 */
export const upscaleNode = defineNode({
  type: 'upscale',
  version: 1,
  title: 'Upscale (model)',
  category: 'compose',
  description:
    'Enlarges the cut-out with an ONNX upscaler model on the GPU runtime (STUDIOFLOW_MODELS with "task": "upscale"); the alpha is resized to match. '
    + 'Without an upscaler configured, or when the photo is already large enough, the cut-out passes through.',
  resource: 'cpu',
  inputs: [{ name: 'cutout', type: 'cutout', label: 'Cut-out' }],
  outputs: [{ name: 'cutout', type: 'cutout', label: 'Cut-out', description: 'Enlarged by the model factor; meta.upscaledBy names the model and licence' }],
  params: Type.Object({
    model: Type.String({
      default: 'auto',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      description: 'Upscaler preset id; auto: the first configured commercial-use upscaler',
      // The editor offers the usual ids as choices, each with its licence; other configured ids stay allowed.
      ...modelChoices(KNOWN_UPSCALERS, { auto: true }),
    }),
    minSide: Type.Integer({ minimum: 64, maximum: 8192, default: 1024, description: 'Only cut-outs whose longest side is below this are enlarged' }),
  }),
  cacheable: true,
  placement: placeUpscale,
  async run(ctx, inputs, params) {
    const cut = inputs.cutout;
    if (!ctx.model || Math.max(cut.width ?? 0, cut.height ?? 0) >= params.minSide) return { cutout: cut };
    const img = await loadImage(ctx, cut, 'cut-out');
    ctx.progress(0.2, `running ${ctx.model}`);
    const { rgb, scale, model, licence } = await useModel(ctx.models, ctx.model, (m: UpscalerModel) => infer(img.data, img.width, img.height, img.channels, m));
    const W = img.width * scale, H = img.height * scale;
    // Models enlarge colour only: the alpha follows with a smooth resize.
    const alpha = img.channels === 4 || img.channels === 2
      ? await sharp(img.data, rawInput(img)).extractChannel(img.channels === 4 ? 3 : 1).resize(W, H, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer()
      : Buffer.alloc(W * H, 255);
    const rgba = Buffer.alloc(W * H * 4);
    for (let i = 0; i < W * H; i++) {
      rgba[i * 4] = rgb[i * 3];
      rgba[i * 4 + 1] = rgb[i * 3 + 1];
      rgba[i * 4 + 2] = rgb[i * 3 + 2];
      rgba[i * 4 + 3] = alpha[i];
    }
    const meta = cut.meta ?? {};
    const scaled = (r: unknown) => {
      const b = r as { x: number; y: number; width: number; height: number } | undefined;
      return b && typeof b.x === 'number' ? { x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale } : b;
    };
    const size = meta.sourceSize as { width: number; height: number } | undefined;
    const out = await storeImage(ctx, { data: rgba, width: W, height: H, channels: 4 }, 'photo', {
      ...meta,
      // Coordinates follow the enlarged pixels, as if the photo itself had been enlarged.
      ...(meta.bbox ? { bbox: scaled(meta.bbox) } : {}),
      ...(meta.productBbox ? { productBbox: scaled(meta.productBbox) } : {}),
      ...(size ? { sourceSize: { width: size.width * scale, height: size.height * scale } } : {}),
      workingScale: (typeof meta.workingScale === 'number' ? meta.workingScale : 1) * scale,
      upscaledBy: { model, licence, scale },
    });
    return { cutout: out };
  },
});

/** With an upscaler configured the node runs on the GPU runtime, which keeps it warm; else it passes the cut-out through on a CPU worker. */
function placeUpscale(params: { model?: string }): NodePlacement {
  const model = resolveUpscaler(params.model ?? 'auto');
  if (!model) return { resource: 'cpu' };
  return { resource: 'gpu', model: { id: model.preset.id, fingerprint: modelFingerprint(model) } };
}

async function infer(data: Buffer, w: number, h: number, channels: 1 | 2 | 3 | 4, model: UpscalerModel): Promise<{ rgb: Buffer; scale: number; model: string; licence: string }> {
  const preset = model.spec;
  const scale = preset.scale ?? 0;
  if (preset.task !== 'upscale' || scale < 2) throw new PermanentNodeError(`model "${preset.id}" is not an upscaler (set "task": "upscale" and "scale" in its preset)`);
  if (Math.max(w, h) > preset.inputSize) throw new PermanentNodeError(`the cut-out (${w}x${h}) is larger than upscaler "${preset.id}" takes (${preset.inputSize} px); raise its inputSize or minSide`);
  let s = sharp(data, { raw: { width: w, height: h, channels } });
  if (channels <= 2) s = s.toColourspace('srgb');
  const rgb = await s.removeAlpha().raw().toBuffer();
  const plane = w * h;
  const input = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) input[c * plane + i] = (rgb[i * 3 + c] / 255 - preset.mean[c]) / preset.std[c];
  const { Tensor } = await import('onnxruntime-node');
  let result: InferenceSession.ReturnType;
  try {
    result = await model.session.run({ [preset.inputName]: new Tensor('float32', input, [1, 3, h, w]) });
  } catch (err) {
    throw new PermanentNodeError(`upscaler "${preset.id}" failed on a [1,3,${h},${w}] input: ${(err as Error).message}`);
  }
  const tensor = result[preset.outputName] ?? result[model.session.outputNames[0]];
  const W = w * scale, H = h * scale;
  const dims = tensor?.dims ?? [];
  if (dims.length !== 4 || dims[1] !== 3 || dims[2] !== H || dims[3] !== W) {
    throw new PermanentNodeError(`upscaler "${preset.id}" answered [${dims.join(',')}], expected [1,3,${H},${W}] for scale ${scale}`);
  }
  const values = tensor.data as Float32Array;
  const out = Buffer.alloc(W * H * 3);
  const big = W * H;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < big; i++) {
      const v = values[c * big + i] * 255;
      out[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { rgb: out, scale, model: preset.id, licence: preset.licence };
}
