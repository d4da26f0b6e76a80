import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PermanentNodeError } from '@studioflow/runtime/contract';

/**
 * Segmentation model presets are data: what a model file expects and returns. Nothing here
 * downloads weights; an operator places the .onnx files and points the config at them.
 *
 * Config (read on every call, so tests and operators can change it without a restart):
 * - STUDIOFLOW_MODEL_DIR: a directory; a preset is configured when `<dir>/<preset.file>` exists.
 * - STUDIOFLOW_MODELS: JSON (or a path to a JSON file) mapping preset id to overrides or to a whole
 *   new preset, e.g. {"birefnet": {"file": "/models/BiRefNet-general.onnx"}}. A file named here is
 *   configured even if missing, so a typo fails loudly at load instead of silently falling back.
 * - STUDIOFLOW_DEFAULT_MODEL: the preset `model: auto` uses (else the first configured commercial one).
 *
 * This is the shared model configuration: the API reads it to place segment nodes (which model, so
 * the GPU runtime) and the GPU runtime reads it to load them. Nodes never read it while running.
 */

export type OutputKind = 'probability' | 'logits';
/** auto: sigmoid only if values leave [0,1] (some exports emit logits under a "probability" name). */
export type Normalisation = 'none' | 'sigmoid' | 'min-max' | 'auto';

export interface SegmentationPreset {
  id: string;
  /** File name (relative to STUDIOFLOW_MODEL_DIR) or absolute path. */
  file: string;
  inputName: string;
  outputName: string;
  /** Square input side in px. */
  inputSize: number;
  /** Applied to x/255 per RGB channel: (x/255 - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  output: OutputKind;
  normalise: Normalisation;
  licence: string;
  /** false: non-commercial weights; never picked by `auto`, only when asked for by id. */
  commercialUse: boolean;
  /** Optional label of the weights (a version or checksum): change it when replacing a file in place, so cached results are not reused. */
  revision?: string;
  /**
   * segmentation (default): a matte for segment. upscale: an image upscaler for the upscale node,
   * fully convolutional ([1,3,H,W] → [1,3,scale·H,scale·W], output in [0,1]); inputSize is its largest input side.
   */
  task?: 'segmentation' | 'upscale';
  /** An upscaler's factor (2-8). */
  scale?: number;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

export const BUILT_IN_PRESETS: readonly SegmentationPreset[] = [
  {
    id: 'birefnet',
    file: 'birefnet.onnx',
    inputName: 'input_image',
    outputName: 'output_image',
    inputSize: 1024,
    ...IMAGENET,
    output: 'logits',
    normalise: 'sigmoid',
    licence: 'MIT (BiRefNet): safe for commercial use',
    commercialUse: true,
  },
  {
    id: 'rmbg-1.4',
    file: 'rmbg-1.4.onnx',
    inputName: 'input',
    outputName: 'output',
    inputSize: 1024,
    mean: [0.5, 0.5, 0.5],
    std: [1, 1, 1],
    output: 'logits',
    normalise: 'min-max',
    licence: 'BRIA RMBG-1.4 licence: non-commercial without a BRIA agreement',
    commercialUse: false,
  },
  {
    id: 'rmbg-2.0',
    file: 'rmbg-2.0.onnx',
    inputName: 'pixel_values',
    outputName: 'alphas',
    inputSize: 1024,
    ...IMAGENET,
    output: 'probability',
    normalise: 'auto',
    licence: 'CC BY-NC 4.0 (BRIA RMBG-2.0): non-commercial, gated weights; opt-in only',
    commercialUse: false,
  },
];

export interface ResolvedModel {
  preset: SegmentationPreset;
  /** Absolute path of the model file. */
  path: string;
}

export const MODEL_CONFIG_HINT = 'set STUDIOFLOW_MODEL_DIR to a directory holding the .onnx file, or STUDIOFLOW_MODELS to {"<preset>": {"file": "/path/model.onnx"}}';

/** Built-in presets with the STUDIOFLOW_MODELS overrides applied, plus any presets it adds. */
export function modelPresets(): Map<string, SegmentationPreset & { explicitFile?: boolean }> {
  const out = new Map<string, SegmentationPreset & { explicitFile?: boolean }>();
  for (const p of BUILT_IN_PRESETS) out.set(p.id, { ...p });
  for (const [id, override] of Object.entries(readModelsConfig())) {
    const base = out.get(id);
    const merged = { ...(base ?? {}), ...override, id, explicitFile: typeof override.file === 'string' } as SegmentationPreset & { explicitFile?: boolean };
    validatePreset(merged);
    out.set(id, merged);
  }
  return out;
}

/** The model a segment run should use, or null when none is configured (auto then goes classical). */
export function resolveModel(requested: string): ResolvedModel | null {
  const presets = modelPresets();
  if (requested !== 'auto') {
    const preset = presets.get(requested);
    if (!preset) throw new PermanentNodeError(`unknown segmentation model "${requested}" (known: ${[...presets.keys()].join(', ')})`);
    if (preset.task === 'upscale') throw new PermanentNodeError(`model "${requested}" is an upscaler, not a segmentation model`);
    const path = configuredPath(preset);
    return path ? { preset, path } : null;
  }
  const fallback = process.env.STUDIOFLOW_DEFAULT_MODEL;
  if (fallback) return resolveModel(fallback);
  for (const preset of presets.values()) {
    if (!preset.commercialUse || preset.task === 'upscale') continue;
    const path = configuredPath(preset);
    if (path) return { preset, path };
  }
  return null;
}

function configuredPath(preset: SegmentationPreset & { explicitFile?: boolean }): string | null {
  const dir = process.env.STUDIOFLOW_MODEL_DIR;
  if (isAbsolute(preset.file)) return preset.explicitFile || existsSync(preset.file) ? preset.file : null;
  if (!dir) return null;
  const path = join(dir, preset.file);
  return preset.explicitFile || existsSync(path) ? path : null;
}

function readModelsConfig(): Record<string, Partial<SegmentationPreset>> {
  const raw = process.env.STUDIOFLOW_MODELS?.trim();
  if (!raw) return {};
  let text = raw;
  try {
    if (!raw.startsWith('{')) text = readFileSync(raw, 'utf8');
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected an object keyed by preset id');
    return parsed as Record<string, Partial<SegmentationPreset>>;
  } catch (err) {
    throw new PermanentNodeError(`STUDIOFLOW_MODELS is not valid: ${(err as Error).message}`);
  }
}

function validatePreset(p: Partial<SegmentationPreset>): asserts p is SegmentationPreset {
  const problems: string[] = [];
  if (typeof p.file !== 'string' || !p.file) problems.push('file');
  if (typeof p.inputName !== 'string') problems.push('inputName');
  if (typeof p.outputName !== 'string') problems.push('outputName');
  if (!Number.isInteger(p.inputSize) || (p.inputSize ?? 0) < 8 || (p.inputSize ?? 0) > 4096) problems.push('inputSize (8-4096)');
  const triple = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!triple(p.mean)) problems.push('mean [r,g,b]');
  if (!triple(p.std) || p.std!.some((s) => s === 0)) problems.push('std [r,g,b], non-zero');
  if (p.output !== 'probability' && p.output !== 'logits') problems.push("output 'probability'|'logits'");
  if (!['none', 'sigmoid', 'min-max', 'auto'].includes(p.normalise as string)) problems.push("normalise 'none'|'sigmoid'|'min-max'|'auto'");
  if (typeof p.commercialUse !== 'boolean') problems.push('commercialUse');
  if (typeof p.licence !== 'string') problems.push('licence');
  if (p.revision !== undefined && typeof p.revision !== 'string') problems.push('revision (a string)');
  if (p.task !== undefined && p.task !== 'segmentation' && p.task !== 'upscale') problems.push("task 'segmentation'|'upscale'");
  if (p.task === 'upscale' && !(Number.isInteger(p.scale) && p.scale! >= 2 && p.scale! <= 8)) problems.push('scale (an integer 2-8) for an upscaler');
  if (problems.length) throw new PermanentNodeError(`STUDIOFLOW_MODELS preset "${p.id}" is missing or has invalid: ${problems.join(', ')}`);
}

/** The upscaler a run should use: the one named, or with `auto` the first configured commercial-use upscaler; null when none is configured. */
export function resolveUpscaler(requested: string): ResolvedModel | null {
  const presets = modelPresets();
  if (requested !== 'auto') {
    const preset = presets.get(requested);
    if (!preset || preset.task !== 'upscale') {
      const known = [...presets.values()].filter((p) => p.task === 'upscale').map((p) => p.id);
      throw new PermanentNodeError(`unknown upscaler "${requested}" (configured: ${known.join(', ') || 'none'}; add one to STUDIOFLOW_MODELS with "task": "upscale")`);
    }
    const path = configuredPath(preset);
    return path ? { preset, path } : null;
  }
  for (const preset of presets.values()) {
    if (preset.task !== 'upscale' || !preset.commercialUse) continue;
    const path = configuredPath(preset);
    if (path) return { preset, path };
  }
  return null;
}

/** A configured model by id (no `auto`), or null when its file is not configured. */
export function configuredModel(id: string): ResolvedModel | null {
  if (id === 'auto') return null;
  const preset = modelPresets().get(id);
  if (!preset) return resolveModel(id); // throws the "unknown model" error
  const path = configuredPath(preset);
  return path ? { preset, path } : null;
}

/** Every preset whose file is configured: what the GPU runtime serves and preloads. */
export function configuredModels(): ResolvedModel[] {
  const out: ResolvedModel[] = [];
  for (const preset of modelPresets().values()) {
    const path = configuredPath(preset);
    if (path) out.push({ preset, path });
  }
  return out;
}

/**
 * Identifies a model for the execution-cache key from its configuration alone (file, pre- and
 * post-processing, revision): the API computes it without reading the weights, and every process
 * sharing the configuration gets the same value. Replacing weights in place needs a new `revision`.
 */
export function modelFingerprint(model: ResolvedModel): string {
  const { id, inputName, outputName, inputSize, mean, std, output, normalise, revision, scale } = model.preset;
  const facts = JSON.stringify({ id, path: model.path, inputName, outputName, inputSize, mean, std, output, normalise, revision: revision ?? null, ...(scale ? { scale } : {}) });
  return createHash('sha256').update(facts).digest('hex').slice(0, 16);
}
