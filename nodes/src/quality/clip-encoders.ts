import sharp from 'sharp';
import type { InferenceSession } from 'onnxruntime-node';
import { PermanentNodeError, type ModelHandle } from '@studioflow/runtime/contract';
import { CLIP_MEAN, CLIP_STD, type ClipModelConfig } from '../models/clip-models';
import type { ClipTokenizer } from '../models/clip-tokenizer';
import { rawInput, type RawImage } from '../image/raw-image';

/** What the GPU runtime's CLIP backend loads: both encoders on the slot's device and the tokenizer. */
export interface ClipSession {
  image: InferenceSession;
  text: InferenceSession;
  tokenizer: ClipTokenizer;
}

/** A CLIP model as the pool hands it out (ctx.models.acquire). */
export type ClipModel = ModelHandle<ClipSession, ClipModelConfig>;

/**
 * Cosine similarity → score in [0,1]: a linear ramp from `zeroAt` to `oneAt`, clamped. The default
 * (0 → 0, 0.4 → 1) is CLIPScore's rescaling, 2.5 · max(cos, 0) (Hessel et al. 2021), capped at 1:
 * with the OpenAI models a matching photo and caption sit around cos 0.3, unrelated ones near 0.15.
 */
export function clipSimilarityScore(cosine: number, zeroAt: number, oneAt: number): number {
  const t = (cosine - zeroAt) / (oneAt - zeroAt);
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/**
 * pixel_values as CLIPImageProcessor makes them: shortest edge resized to `size` (the long edge to
 * floor(size · long / short)) with a bicubic kernel (sharp's cubic is Catmull-Rom, PIL's bicubic),
 * the centre `size`² cropped (offsets floor((side − size) / 2)), x/255 normalised by CLIP's mean and
 * std, NCHW float32. Transparency is flattened onto white first (a cut-out on a studio backdrop).
 */
export async function clipPixelValues(img: RawImage, size: number): Promise<Float32Array> {
  const short = Math.min(img.width, img.height);
  const long = Math.max(img.width, img.height);
  const scaledLong = Math.max(size, Math.floor((size * long) / short));
  const [width, height] = img.width <= img.height ? [size, scaledLong] : [scaledLong, size];
  let s = sharp(img.data, rawInput(img));
  if (img.channels <= 2) s = s.toColourspace('srgb');
  if (img.channels === 2 || img.channels === 4) s = s.flatten({ background: '#ffffff' });
  const rgb = await s
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .extract({ left: Math.floor((width - size) / 2), top: Math.floor((height - size) / 2), width: size, height: size })
    .removeAlpha()
    .raw()
    .toBuffer();
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c];
    const base = c * plane;
    for (let i = 0, q = c; i < plane; i++, q += 3) out[base + i] = lut[rgb[q]];
  }
  return out;
}

/** The L2-normalised image embedding of one image. */
export async function embedImage(model: ClipModel, img: RawImage): Promise<Float32Array> {
  const size = model.spec.imageSize;
  const { Tensor } = await import('onnxruntime-node');
  const pixels = new Tensor('float32', await clipPixelValues(img, size), [1, 3, size, size]);
  const out = await runEncoder(model, 'image', { pixel_values: pixels }, 'image_embeds');
  return l2Normalised(out, model.id, 'image_embeds');
}

/** The L2-normalised text embedding, with how many tokens the text took and whether it was cut. */
export async function embedText(model: ClipModel, text: string): Promise<{ embedding: Float32Array; tokens: number; truncated: boolean }> {
  const encoded = model.session.tokenizer.encode(text);
  const { Tensor } = await import('onnxruntime-node');
  const L = encoded.inputIds.length;
  const feeds: Record<string, InstanceType<typeof Tensor>> = { input_ids: new Tensor('int64', encoded.inputIds, [1, L]) };
  // Some text exports take no mask (they pool at the end token): feed it only when asked for.
  if (model.session.text.inputNames.includes('attention_mask')) feeds.attention_mask = new Tensor('int64', encoded.attentionMask, [1, L]);
  const out = await runEncoder(model, 'text', feeds, 'text_embeds');
  return { embedding: l2Normalised(out, model.id, 'text_embeds'), tokens: encoded.length, truncated: encoded.truncated };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new PermanentNodeError(`CLIP image and text embeddings differ in size (${a.length} and ${b.length}): the encoders are not from one model`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

async function runEncoder(model: ClipModel, which: 'image' | 'text', feeds: InferenceSession.FeedsType, outputName: string): Promise<Float32Array> {
  const session = model.session[which];
  if (!session.outputNames.includes(outputName)) {
    throw new PermanentNodeError(`CLIP model "${model.id}": the ${which} encoder has no output "${outputName}" (outputs: ${session.outputNames.join(', ')}); export it with its projection`);
  }
  let out: InferenceSession.ReturnType;
  try {
    out = await session.run(feeds, [outputName]);
  } catch (err) {
    throw new PermanentNodeError(`CLIP model "${model.id}": the ${which} encoder failed to run: ${(err as Error).message}`);
  }
  const data = out[outputName].data;
  if (!(data instanceof Float32Array)) throw new PermanentNodeError(`CLIP model "${model.id}": ${outputName} is not float32`);
  return data;
}

function l2Normalised(v: Float32Array, id: string, what: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (!(norm > 1e-12) || !Number.isFinite(norm)) throw new PermanentNodeError(`CLIP model "${id}": ${what} is zero or not finite`);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}
