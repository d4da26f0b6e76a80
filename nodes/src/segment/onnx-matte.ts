import sharp from 'sharp';
import type { InferenceSession } from 'onnxruntime-node';
import { PermanentNodeError, type ModelHandle, type NodeLogger } from '@studioflow/runtime/contract';
import type { Normalisation, SegmentationPreset } from '../models/model-registry';
import { rawInput, type RawImage } from '../image/raw-image';

/** A segmentation model as the GPU runtime's pool hands it out (ctx.models.acquire). */
export type SegmentationModel = ModelHandle<InferenceSession, SegmentationPreset>;

export interface OnnxMatte {
  /** Full-resolution alpha, one byte per pixel. */
  alpha: Uint8Array;
  stats: { model: string; licence: string; provider: 'cpu' | 'cuda'; device: string; inputSize: number; inferenceMs: number; rawMin: number; rawMax: number };
}

/** Tensor construction only: the session itself comes from the host's model pool. */
function onnxRuntime(): Promise<typeof import('onnxruntime-node')> {
  return import('onnxruntime-node');
}

/** Runs a segmentation model: resize to the model's square input, normalise, infer, resize the alpha back. */
export async function onnxMatte(img: RawImage, model: SegmentationModel, log?: NodeLogger): Promise<OnnxMatte> {
  const preset = model.spec;
  const { inputName, outputName } = ioNames(model.session, preset, log);
  const S = preset.inputSize;
  const input = await toInputTensor(img, preset);
  const { Tensor } = await onnxRuntime();
  const t0 = performance.now();
  let out: InferenceSession.ReturnType;
  try {
    // Only the alpha: models such as IS-Net also return side outputs we would copy for nothing.
    out = await model.session.run({ [inputName]: new Tensor('float32', input, [1, 3, S, S]) }, [outputName]);
  } catch (err) {
    throw new PermanentNodeError(`model "${preset.id}" failed to run on a [1,3,${S},${S}] input: ${(err as Error).message}`);
  }
  const inferenceMs = performance.now() - t0;
  const tensor = out[outputName];
  const [oh, ow] = outputPlane(tensor?.dims ?? [], preset.id);
  const values = tensor.data as Float32Array;
  if (!(values instanceof Float32Array) || values.length < oh * ow) throw new PermanentNodeError(`model "${preset.id}" output "${outputName}" is not a float32 alpha plane`);
  const { bytes, min, max, mode } = normalise(values.subarray(0, oh * ow), preset.normalise);
  assertLooksLikeMatte(bytes, preset, { min, max, mode });
  const alpha = await sharp(bytes, { raw: { width: ow, height: oh, channels: 1 } })
    .resize(img.width, img.height, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return {
    alpha: new Uint8Array(alpha.buffer, alpha.byteOffset, alpha.length),
    stats: { model: preset.id, licence: preset.licence, provider: model.provider, device: model.device, inputSize: S, inferenceMs: Math.round(inferenceMs), rawMin: min, rawMax: max },
  };
}

/** The preset's names, or the model's only input / first output when an export named them differently. */
function ioNames(session: InferenceSession, preset: SegmentationPreset, log?: NodeLogger): { inputName: string; outputName: string } {
  let inputName = preset.inputName;
  if (!session.inputNames.includes(inputName)) {
    if (session.inputNames.length !== 1) {
      throw new PermanentNodeError(`model "${preset.id}" has no input "${inputName}" (inputs: ${session.inputNames.join(', ')}); set inputName in STUDIOFLOW_MODELS`);
    }
    inputName = session.inputNames[0];
    log?.info(`model "${preset.id}": using its only input "${inputName}"`);
  }
  let outputName = preset.outputName;
  if (!session.outputNames.includes(outputName)) {
    outputName = session.outputNames[0];
    log?.info(`model "${preset.id}": no output "${preset.outputName}", using the first output "${outputName}"`);
  }
  return { inputName, outputName };
}

/** CHW float32 of the image resized (stretched) to S×S, (x/255 - mean) / std per channel. */
async function toInputTensor(img: RawImage, preset: SegmentationPreset): Promise<Float32Array> {
  const S = preset.inputSize;
  let s = sharp(img.data, rawInput(img));
  if (img.channels <= 2) s = s.toColourspace('srgb');
  const rgb = await s.removeAlpha().resize(S, S, { fit: 'fill' }).raw().toBuffer();
  const plane = S * S;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - preset.mean[c]) / preset.std[c];
    const base = c * plane;
    for (let i = 0, q = c; i < plane; i++, q += 3) out[base + i] = lut[rgb[q]];
  }
  return out;
}

/** [height, width] of an alpha output shaped [1,1,H,W], [1,H,W] or [H,W]. */
function outputPlane(dims: readonly number[], id: string): [number, number] {
  const lead = dims.slice(0, -2);
  if (dims.length < 2 || dims.length > 4 || lead.some((d) => d !== 1)) {
    throw new PermanentNodeError(`model "${id}" output has shape [${dims.join(',')}]; expected one alpha plane [1,1,H,W]`);
  }
  return [dims[dims.length - 2], dims[dims.length - 1]];
}

export function normalise(values: Float32Array, how: Normalisation): { bytes: Buffer; min: number; max: number; mode: Exclude<Normalisation, 'auto'> } {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mode = how === 'auto' ? (min < -0.01 || max > 1.01 ? 'sigmoid' : 'none') : how;
  const span = max - min;
  const bytes = Buffer.allocUnsafe(values.length);
  for (let i = 0; i < values.length; i++) {
    let a = values[i];
    if (mode === 'sigmoid') a = 1 / (1 + Math.exp(-a));
    else if (mode === 'min-max') a = span > 1e-12 ? (a - min) / span : 0;
    bytes[i] = a <= 0 ? 0 : a >= 1 ? 255 : Math.round(a * 255);
  }
  return { bytes, min, max, mode };
}

/**
 * A matte is mostly 0 and 255 with a thin band of edge values between. When most of the plane is in
 * between, the node fails rather than deliver a half-transparent shot, and says why:
 * - a near-constant plane (the middle 98 % of values within a quarter of the range) is a model run
 *   with the wrong pre- or post-processing, e.g. IS-Net given ImageNet normalisation and a sigmoid on
 *   its probabilities (alpha 126–187 everywhere);
 * - a spread-out but undecided plane is the model unsure about this photo (no clear single subject).
 * An empty plane (all near 0) is not refused here: it is "no product found".
 */
export const MATTE_UNDECIDED_LOW = 26;
export const MATTE_UNDECIDED_HIGH = 229;
export const MAX_UNDECIDED_SHARE = 0.4;
const NEAR_CONSTANT_SPREAD = 64;

export interface MatteShape {
  /** Share of pixels neither background (< 26) nor product (> 229). */
  undecided: number;
  /** 1st and 99th percentile of alpha. */
  p1: number;
  p99: number;
}

export function matteShape(alpha: Uint8Array): MatteShape {
  const hist = new Uint32Array(256);
  for (let i = 0; i < alpha.length; i++) hist[alpha[i]]++;
  let undecided = 0;
  for (let v = MATTE_UNDECIDED_LOW; v <= MATTE_UNDECIDED_HIGH; v++) undecided += hist[v];
  const at = (share: number) => {
    const rank = share * Math.max(0, alpha.length - 1);
    for (let v = 0, seen = 0; v < 256; v++) if ((seen += hist[v]) > rank) return v;
    return 255;
  };
  return { undecided: alpha.length ? undecided / alpha.length : 0, p1: at(0.01), p99: at(0.99) };
}

export function assertLooksLikeMatte(alpha: Uint8Array, preset: SegmentationPreset, raw: { min: number; max: number; mode: Exclude<Normalisation, 'auto'> }): void {
  const shape = matteShape(alpha);
  if (shape.undecided <= MAX_UNDECIDED_SHARE) return;
  const what = `model "${preset.id}" returned something that does not look like a matte: ${Math.round(shape.undecided * 100)} % of it is neither background nor product `
    + `(alpha ${shape.p1}–${shape.p99} for 98 % of pixels; raw output ${raw.min.toFixed(3)}..${raw.max.toFixed(3)}, normalise "${raw.mode}")`;
  if (shape.p99 - shape.p1 >= NEAR_CONSTANT_SPREAD) {
    throw new PermanentNodeError(`${what}; the model is unsure what the subject of this photo is. Shoot the product alone on a plainer background, or try another model.`);
  }
  let cause: string;
  if (raw.mode === 'sigmoid' && raw.min >= -0.01 && raw.max <= 1.01) {
    cause = 'likely cause: the output kind. The model already outputs probabilities in [0,1] and a sigmoid squeezed them into 0.5–0.73; '
      + 'set output "probability" and normalise "none" for this model';
  } else {
    cause = `likely cause: the input normalisation. The preset feeds (x/255 − [${preset.mean.map((v) => +v.toFixed(4)).join(', ')}]) / [${preset.std.map((v) => +v.toFixed(4)).join(', ')}]; `
      + 'the model was probably trained with another (IS-Net: (x−128)/256, BiRefNet and RMBG-2.0: ImageNet mean/std, RMBG-1.4: x/255 − 0.5), '
      + 'or its output kind is wrong (probability vs logits)';
  }
  throw new PermanentNodeError(`${what}; the matte is near-constant, so the model is probably misconfigured: ${cause}.`);
}
