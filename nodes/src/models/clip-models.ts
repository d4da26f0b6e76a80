import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { modelPresets } from './model-registry';

/**
 * CLIP models are data: where the two ONNX encoders and the tokenizer of one model are. Nothing
 * downloads weights; an operator exports the encoders (e.g. with Optimum: a vision model with
 * projection taking `pixel_values` → `image_embeds`, a text model with projection taking
 * `input_ids` (+ `attention_mask`) → `text_embeds`) and places them with the model's `tokenizer.json`.
 *
 * Config (read on every call, like the segmentation models):
 * - STUDIOFLOW_CLIP_MODELS: JSON, or a path to a JSON file, mapping a model id to its files:
 *   {"clip-vit-b32": {"imageEncoder": "/m/vision.onnx", "textEncoder": "/m/text.onnx", "tokenizer": "/m/tokenizer.json"}}
 * - STUDIOFLOW_DEFAULT_CLIP: the model `model: auto` uses (else the first one listed).
 *
 * Shared like the segmentation configuration: the API reads it to place clip-score on the GPU
 * runtime, the GPU runtime to load the encoders. Ids share the `gpu.<model id>` queue namespace
 * with the segmentation presets, so they must differ from those (a clash is refused).
 */
export interface ClipModelConfig {
  id: string;
  /** Absolute paths of the vision encoder, the text encoder and the HF tokenizer.json. */
  imageEncoder: string;
  textEncoder: string;
  tokenizer: string;
  /** Square input side of the vision encoder (224 for ViT-B/32 and ViT-B/16, 336 for ViT-L/14-336). */
  imageSize: number;
  /** Tokens per text, start and end included (77 for every OpenAI CLIP). */
  contextLength: number;
  /** CLIP's learned logit scale (exp(logit_scale), 100 for the OpenAI models): logit = scale × cosine. */
  logitScale: number;
  /** Optional label of the weights: change it when replacing files in place, so cached scores are not reused. */
  revision?: string;
}

/** CLIP's image normalisation (OpenAI's training statistics), applied to x/255 per RGB channel. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export const CLIP_CONFIG_HINT =
  'set STUDIOFLOW_CLIP_MODELS to {"<id>": {"imageEncoder": "/path/vision.onnx", "textEncoder": "/path/text.onnx", "tokenizer": "/path/tokenizer.json"}} (JSON or a path to a JSON file)';

const DEFAULTS = { imageSize: 224, contextLength: 77, logitScale: 100 };

/** Every configured CLIP model, in the order the configuration lists them. */
export function clipModels(): Map<string, ClipModelConfig> {
  const out = new Map<string, ClipModelConfig>();
  const entries = Object.entries(readClipConfig());
  if (entries.length === 0) return out;
  // One id names one queue and one pool entry: a CLIP id equal to a segmentation preset would be loaded as the matte.
  const segmentation = modelPresets();
  for (const [id, entry] of entries) {
    if (segmentation.has(id)) throw new PermanentNodeError(`STUDIOFLOW_CLIP_MODELS model "${id}" has the id of a segmentation model preset: choose another id`);
    out.set(id, validClipModel(id, entry));
  }
  return out;
}

/**
 * The model a clip-score node uses: `auto` is STUDIOFLOW_DEFAULT_CLIP, else the first configured.
 * Throws a permanent error saying how to configure one when none is (or the id is unknown).
 */
export function resolveClipModel(requested: string): ClipModelConfig {
  const models = clipModels();
  const id = requested === 'auto' ? process.env.STUDIOFLOW_DEFAULT_CLIP?.trim() || models.keys().next().value : requested;
  if (id === undefined) throw new PermanentNodeError(`no CLIP model configured: ${CLIP_CONFIG_HINT}`);
  const model = models.get(id);
  if (!model) {
    const known = [...models.keys()];
    throw new PermanentNodeError(`CLIP model "${id}" is not configured (${known.length ? `configured: ${known.join(', ')}` : CLIP_CONFIG_HINT})`);
  }
  return model;
}

/** A configured CLIP model by id, or null (the GPU runtime's resolve). */
export function configuredClipModel(id: string): ClipModelConfig | null {
  return clipModels().get(id) ?? null;
}

/**
 * Identifies a CLIP model for the execution-cache key from its configuration alone (paths, sizes,
 * revision), like the segmentation fingerprint: replacing files in place needs a new `revision`.
 */
export function clipModelFingerprint(model: ClipModelConfig): string {
  const { id, imageEncoder, textEncoder, tokenizer, imageSize, contextLength, logitScale, revision } = model;
  const facts = JSON.stringify({ kind: 'clip', id, imageEncoder, textEncoder, tokenizer, imageSize, contextLength, logitScale, revision: revision ?? null });
  return createHash('sha256').update(facts).digest('hex').slice(0, 16);
}

function readClipConfig(): Record<string, Partial<ClipModelConfig>> {
  const raw = process.env.STUDIOFLOW_CLIP_MODELS?.trim();
  if (!raw) return {};
  try {
    const text = raw.startsWith('{') ? raw : readFileSync(raw, 'utf8');
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected an object keyed by model id');
    return parsed as Record<string, Partial<ClipModelConfig>>;
  } catch (err) {
    throw new PermanentNodeError(`STUDIOFLOW_CLIP_MODELS is not valid: ${(err as Error).message}`);
  }
}

function validClipModel(id: string, entry: Partial<ClipModelConfig>): ClipModelConfig {
  const model = { ...DEFAULTS, ...entry, id };
  const problems: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) problems.push('id (letters, digits, . _ -)');
  for (const file of ['imageEncoder', 'textEncoder', 'tokenizer'] as const) {
    if (typeof model[file] !== 'string' || !isAbsolute(model[file])) problems.push(`${file} (an absolute path)`);
  }
  if (!Number.isInteger(model.imageSize) || model.imageSize < 8 || model.imageSize > 1024) problems.push('imageSize (8-1024)');
  if (!Number.isInteger(model.contextLength) || model.contextLength < 3 || model.contextLength > 512) problems.push('contextLength (3-512)');
  if (typeof model.logitScale !== 'number' || !(model.logitScale > 0)) problems.push('logitScale (> 0)');
  if (model.revision !== undefined && typeof model.revision !== 'string') problems.push('revision (a string)');
  if (problems.length) throw new PermanentNodeError(`STUDIOFLOW_CLIP_MODELS model "${id}" is missing or has invalid: ${problems.join(', ')}`);
  return model as ClipModelConfig;
}
